// How sharply should a map with cells choose? Scores a saved map model (one that
// bench/tasks/maps.mjs wrote) at several softmax temperatures, on the same Fashion-MNIST
// points as the maps bench: 5-NN accuracy of the held-out points (classifier fitted on the
// training points' codes) and their trustworthiness (k = 5). The temperature is used only
// when mapping, so one fitted model serves every row.
//
//   node bench/probes/map-temperature.mjs MODEL [--fashion-train 10000] [--test 2000]
//     [--temperatures 0.1,0.2,0.3,0.5,1] [--validation 0]
//
// --validation V: instead of test images, score the V training images that follow the first
// --fashion-train ones (a model fitted on those first images never saw them), so that the
// temperature can be chosen without the test set.
import { aekit, args, fashionSplit, range } from '../tasks/lib.mjs';

const file = process.argv[2];
const o = args({
  fashionTrain: 10000,
  test: 2000,
  temperatures: '0.1,0.2,0.3,0.5,1',
  validation: 0,
});
const { model: fitted, config } = aekit.loadModel(file);
let split;
let test;
if (o.validation > 0) {
  const all = (await fashionSplit(o.fashionTrain + o.validation, 1)).train;
  split = { train: aekit.take(all, range(0, o.fashionTrain)) };
  test = aekit.take(all, range(o.fashionTrain, o.fashionTrain + o.validation));
} else {
  split = await fashionSplit(o.fashionTrain, o.test);
  test = aekit.take(split.test, range(0, o.test));
}
for (const cellTemperature of o.temperatures.split(',').map(Number)) {
  const model = aekit.buildModel({ ...config, cellTemperature });
  model.loadStateDict(fitted.stateDict());
  const trainCodes = aekit.embed(model, split.train, 1000);
  const testCodes = aekit.embed(model, test, 1000);
  const knn = aekit.knnAccuracy(trainCodes, split.train.labels, testCodes, test.labels, {
    dim: 2,
    k: 5,
  });
  const trust = aekit.trustworthiness(test.data, testCodes, {
    n: test.shape[0],
    dimHigh: 784,
    dimLow: 2,
    k: 5,
  });
  console.log(
    `temperature ${cellTemperature}: 5-NN ${knn.accuracy.toFixed(4)}, trustworthiness ` +
      trust.trustworthiness.toFixed(4),
  );
  model.dispose();
}
