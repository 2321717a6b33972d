// Reference twins of assembly/random/, same names and signatures after a leading Heap.
export {};
