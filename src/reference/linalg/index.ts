// Reference twins of assembly/linalg/, same names and signatures after a leading Heap.
export {};
