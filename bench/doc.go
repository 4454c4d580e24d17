// Package bench holds the benchmarks that compare this project's hot paths
// with baselines measured in the same run (design.md section 8, layer 6).
// Where the sender shares the machine's cores, they compare CPU time per
// packet at a fixed offered load rather than rates.
package bench
