// Continuation kernels (Gaussian perturbations of parameters); each needs its twin in src/reference/continuation/.
export * from "./perturb";
