// A continuation method (Goodfellow et al. 2016, sec. 8.7) on a wiggly bowl,
// J(x) = 0.05 x^2 - cos(3x): plain SGD from x = 6 stops in the nearest of many local minima;
// SGD on the Gaussian-blurred J_sigma, with sigma shrinking 2, 1, 0.5, 0.25, 0, reaches the
// global minimum at 0. Run: npx tsx examples/continuation.ts
import { GaussianBlur, SGD, blurSchedule, initSync, type ContinuationObjective } from "../src/index";

const rt = initSync();

const wiggly: ContinuationObjective = (x, grad) => {
  const v = x.data[0]!;
  if (grad) grad.data[0] = 0.1 * v + 3 * Math.sin(3 * v);
  return 0.05 * v * v - Math.cos(3 * v);
};

const plain = rt.param([1], { values: [6] });
const plainOpt = new SGD(rt, [plain], { lr: 0.05 });
for (let t = 0; t < 1200; t++) {
  wiggly(plain, plain.grad);
  plainOpt.step();
}

const w = rt.param([1], { values: [6] });
const opt = new SGD(rt, [w], { lr: 0.05 });
const blur = new GaussianBlur(rt, wiggly, { sigma: 1, samples: 8, rng: 7 });
for (const sigma of blurSchedule({ initial: 2, ratio: 0.5, stages: 4 })) {
  blur.sigma = sigma;
  for (let t = 0; t < 300; t++) {
    blur.valueAndGrad(w, w.grad);
    opt.step();
  }
  console.log(`sigma ${sigma.toFixed(2)}: x = ${w.data[0]!.toFixed(4)}, J_sigma ~ ${blur.value(w).toFixed(4)}`);
}
console.log(`plain SGD: x = ${plain.data[0]!.toFixed(4)}, J = ${wiggly(plain, null).toFixed(4)}`);
console.log(`continuation: x = ${w.data[0]!.toFixed(4)}, J = ${wiggly(w, null).toFixed(4)}`);
