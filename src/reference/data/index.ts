// Data kernels (gathering minibatch rows, index ranges); twins of assembly/data/: same names, same arguments after a leading Heap.
export * from "./gather";
