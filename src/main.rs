// mimalloc: the map import allocates on worker threads and frees on the writer thread, where
// glibc's malloc spent 17 % of a state import (arena locks, consolidation); mimalloc's
// thread-local free lists take that to a few percent (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trailatlas::cli::main()
}
