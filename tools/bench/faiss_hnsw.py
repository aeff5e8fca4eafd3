#!/usr/bin/env python3
"""faiss's HNSW on the ann_vectors.py files, for `glint bench index --faiss-python PY`.

Not part of Glint: run it with a throw-away virtualenv holding faiss-cpu and numpy. Builds
IndexHNSWFlat (inner product) with the given M and efConstruction on the given threads, then
for each efSearch reports recall@10 against gt.u32 and queries/s on 1 and on 2 threads (one
query at a time, as Glint searches). Prints one JSON object as its last line.
"""
import argparse, json, os, resource, time

import faiss
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=128)
    ap.add_argument("--ef", default="16,24,32,48,64,96,128")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    meta = json.load(open(os.path.join(a.dir, "meta.json")))
    n, d, k = meta["n"], meta["dim"], meta["k"]
    base = np.fromfile(os.path.join(a.dir, "base.f32"), dtype="<f4").reshape(n, d)
    queries = np.fromfile(os.path.join(a.dir, "queries.f32"), dtype="<f4").reshape(-1, d)
    truth = np.fromfile(os.path.join(a.dir, "gt.u32"), dtype="<u4").reshape(-1, k)

    faiss.omp_set_num_threads(a.threads)
    index = faiss.IndexHNSWFlat(d, a.m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = a.ef_construction
    started = time.time()
    index.add(base)
    build_s = time.time() - started
    del base
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"faiss: built in {build_s:.0f} s, peak resident {rss_mb:.0f} MB", flush=True,
          file=__import__("sys").stderr)

    sweep = []
    for ef in [int(e) for e in a.ef.split(",")]:
        index.hnsw.efSearch = ef
        row = {"ef": ef}
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            started = time.time()
            found = 0
            # One query per call, as an interactive search makes them; with 2 threads the
            # queries go in pairs so that both cores work.
            step = threads
            for s in range(0, len(queries), step):
                _, ids = index.search(queries[s:s + step], k)
                for q, row_ids in enumerate(ids):
                    found += len(set(row_ids.tolist()) & set(truth[s + q].tolist()))
            elapsed = time.time() - started
            row[f"qps_{threads}_thread" + ("s" if threads > 1 else "")] = len(queries) / elapsed
            if threads == 1:
                row["recall@10"] = found / (len(queries) * k)
        sweep.append(row)
    print(json.dumps({"build_s": build_s, "peak_rss_mb": rss_mb, "m": a.m,
                      "ef_construction": a.ef_construction, "threads": a.threads,
                      "faiss": faiss.__version__, "sweep": sweep}))


if __name__ == "__main__":
    main()
