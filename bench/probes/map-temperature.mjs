// How sharply should a map with cells choose? Scores a saved map model (one that
// bench/tasks/maps.mjs wrote) at several softmax temperatures, on the same Fashion-MNIST
// points as the maps bench: 5-NN accuracy of the held-out points (classifier fitted on the
// training points' codes) and their trustworthiness (k = 5). The temperature is used only
// when mapping, so one fitted model serves every row.
//
//   node bench/probes/map-temperature.mjs MODEL [--fashion-train 10000] [--test 2000]
//     [--temperatures 0.1,0.2,0.3,0.5,1]
import { aekit, args, fashionSplit, range } from '../tasks/lib.mjs';

const file = process.argv[2];
const o = args({ fashionTrain: 10000, test: 2000, temperatures: '0.1,0.2,0.3,0.5,1' });
const { model: fitted, config } = aekit.loadModel(file);
const split = await fashionSplit(o.fashionTrain, o.test);
const test = aekit.take(split.test, range(0, o.test));
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
    n: o.test,
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
