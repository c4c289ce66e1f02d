// node examples/node.mjs model.h5 input.npy: predict and trace a QKeras model in Node.
import { readFile } from 'node:fs/promises';
import { loadModel, readNpy } from 'qkeras-wasm';

const [modelPath, inputPath] = process.argv.slice(2);
const model = await loadModel(modelPath); // Keras .h5, .keras, or a converted .qkwm
const x = readNpy(await readFile(inputPath)); // {data, shape}
console.log(model.topK(await model.predict(x), 3)); // exactly QKeras's model.predict
for (const layer of await model.trace(x)) console.log(layer.name, layer.status, layer.stats.distinct, layer.stats.onGrid);
model.dispose();
