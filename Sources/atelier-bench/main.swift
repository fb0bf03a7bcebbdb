// Placeholder: the load generator is being written (see BENCHMARKS.md once it lands).
print("atelier-bench: not built yet")
