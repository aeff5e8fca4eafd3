// Runs a TensorFlow.js graph model with TensorFlow.js itself (pure-JS CPU backend), for
// check_tfjs_graph.py: node run_tfjs_graph.js MODEL_JSON INPUT_BIN N H W C OUTPUT_NODE OUT_BIN
// INPUT_BIN holds N*H*W*C float32 (NHWC); OUT_BIN receives the output node's float32 values.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

async function main() {
  const [modelJson, inFile, n, h, w, c, outputNode, outFile] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(modelJson));
  const shards = spec.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(path.dirname(modelJson), p))));
  const data = Buffer.concat(shards);
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: spec.modelTopology,
    weightSpecs: spec.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  }));
  const raw = fs.readFileSync(inFile);
  const all = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const size = +h * +w * +c;
  // One image at a time: some graphs fix their batch at 1 (CenterNet reshapes to [1, -1]).
  const parts = [];
  for (let i = 0; i < +n; i += 1) {
    const x = tf.tensor4d(all.subarray(i * size, (i + 1) * size), [1, +h, +w, +c]);
    const y = model.execute(x, outputNode);
    parts.push(Buffer.from((await y.data()).buffer));
    tf.dispose([x, y]);
  }
  fs.writeFileSync(outFile, Buffer.concat(parts));
}

main().catch((e) => { console.error(e); process.exit(1); });
