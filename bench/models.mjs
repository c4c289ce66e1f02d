// Per-model load time, predict time and converted size against float32 weights, for every
// model in ../shared/models (or the files given). A report, not a test.
//   node bench/models.mjs [--runs 5] [model ...]
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel, convert } from '../web/index.js';
import { readModel } from '../web/model.js';

const args = process.argv.slice(2);
const runsIndex = args.indexOf('--runs');
const runs = runsIndex >= 0 ? Number(args.splice(runsIndex, 2)[1]) : 5;
const shared = fileURLToPath(new URL('../../shared/models/', import.meta.url));
const defaults = [
  'qkeras_3layer_v2020/QKERAS_3layer.h5',
  'hls4ml_tutorial_model3/KERAS_check_best_model.h5',
  'mlperftiny_ic_rn07/model_best.h5',
  'mlperftiny_ic_rn_tiny/model_best.h5',
  'mlperftiny_ad08/model.h5',
  'mlperftiny_ad_baseline/keras_model.h5',
  'qconv2dbatchnorm_224_autopo2/FashionMNIST.h5',
  'hls4ml_tutorial_qpruned_cnn_plm/quantized_pruned_cnn_model.h5',
  'enet_hom4/hom4_32_4_4_4_4_4.h5',
  'enet_hom8/hom8_32_8_8_8_8_8.h5',
  'enet_autoq_q4_q8/autoq_q4_q8_2022_04_12.h5',
].map((f) => shared + f);
const models = args.length ? args : defaults.filter((f) => existsSync(f));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`median of ${runs} runs; predict on one sample\n`);
console.log('| model | load .h5 ms | load .qkwm ms | predict ms | float32 weights B | .qkwm B | ratio |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const path of models) {
  const name = path.split('/').slice(-2).join('/');
  try {
    const { weights } = await readModel(path);
    let floatBytes = 0;
    for (const list of Object.values(weights)) for (const w of list) floatBytes += w.data.length * 4;
    const converted = await convert(path);
    const loads = [];
    const convertedLoads = [];
    let model;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      model?.dispose();
      model = await loadModel(path);
      loads.push(performance.now() - t);
      t = performance.now();
      (await loadModel(converted)).dispose();
      convertedLoads.push(performance.now() - t);
    }
    const dims = model.inputs[0].shape.slice(1);
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 256) / 256);
    const predicts = [];
    await model.predict(data, [1, ...dims]);
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await model.predict(data, [1, ...dims]);
      predicts.push(performance.now() - t);
    }
    model.dispose();
    console.log(`| ${name} | ${median(loads).toFixed(1)} | ${median(convertedLoads).toFixed(1)} | ${median(predicts).toFixed(2)} | ${floatBytes} | ${converted.length} | ${(converted.length / floatBytes).toFixed(3)} |`);
  } catch (error) {
    console.log(`| ${name} | rejected: ${error.message.split('\n')[0]} | | | | | |`);
  }
}
