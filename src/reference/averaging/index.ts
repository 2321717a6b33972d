// Reference twins of assembly/averaging/, same names and signatures after a leading Heap.
export * from "./lerp";
export * from "./swap";
