// Continuation kernels (Gaussian perturbations of parameters); twins of assembly/continuation/: same names, same arguments after a leading Heap.
export * from "./perturb";
