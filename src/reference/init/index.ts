// Twins of assembly/init/: same names, same arguments after a leading Heap.
export * from "./orthogonal";
export * from "./sparse";
