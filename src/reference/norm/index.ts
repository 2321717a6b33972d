// Reference twins of assembly/norm/, same names and signatures after a leading Heap.
export {};
