// Reference twins of assembly/minimize/, same names and signatures after a leading Heap.
export {};
