// Fault-matrix cases for this part of the library (see test/faults.test.ts).
export {};
