//! The same contract, run against every backend: the exact `FlatIndex`, the graph `HnswIndex`
//! (in memory and on disk, i8 re-scored from an f16 copy by default, and f16 alone) and the
//! embedded default `LocalIndex` (with a threshold low enough that its spaces move to the graph
//! mid-test). What differs is stated per backend: the flat
//! index is exact, the graph must reach a recall.

use glint_index::{contract, FlatIndex, HnswIndex, HnswParams, LocalIndex, Quantization, VectorWrite};

struct Backend {
    name: &'static str,
    index: Box<dyn VectorWrite>,
    exact: bool,
    _dir: Option<tempfile::TempDir>,
}

fn backends() -> Vec<Backend> {
    let on_disk = tempfile::tempdir().unwrap();
    let local_dir = tempfile::tempdir().unwrap();
    let f16_dir = tempfile::tempdir().unwrap();
    vec![
        Backend {
            name: "flat",
            index: Box::new(FlatIndex::in_memory()),
            exact: true,
            _dir: None,
        },
        Backend {
            name: "graph in memory",
            index: Box::new(HnswIndex::in_memory(HnswParams::default())),
            exact: false,
            _dir: None,
        },
        Backend {
            name: "graph on disk",
            index: Box::new(HnswIndex::open(on_disk.path(), HnswParams::default()).unwrap()),
            exact: false,
            _dir: Some(on_disk),
        },
        Backend {
            name: "graph on disk, f16 walked (no copy)",
            index: Box::new(
                HnswIndex::open(
                    f16_dir.path(),
                    HnswParams {
                        quantization: Quantization::F16,
                        ..HnswParams::default()
                    },
                )
                .unwrap(),
            ),
            exact: false,
            _dir: Some(f16_dir),
        },
        Backend {
            name: "local (moves to the graph past 500 x 16 floats)",
            index: Box::new(
                LocalIndex::open(local_dir.path(), HnswParams::default())
                    .unwrap()
                    .with_graph_above_floats(500 * 16),
            ),
            exact: false,
            _dir: Some(local_dir),
        },
    ]
}

#[test]
fn every_embedded_backend_keeps_the_vector_contract() {
    for (check_name, check) in contract::ALL {
        for b in backends() {
            eprintln!("contract: {check_name} on {}", b.name);
            check(&contract::Backend {
                name: b.name,
                index: b.index.as_ref(),
                exact: b.exact,
            });
        }
    }
}
