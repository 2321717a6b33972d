// Reference twins of assembly/norm/, same names and signatures after a leading Heap.
export * from "./batchnorm";
export * from "./groupnorm";
export * from "./weight_norm";
