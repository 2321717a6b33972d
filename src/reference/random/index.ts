// Twins of assembly/random/: same names, same arguments after a leading Heap.
export * from "./philox";
