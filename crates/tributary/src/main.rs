// glibc's malloc and free were 16% of the server's CPU under the post load, a third of it in
// the single SQLite writer; see BENCHMARKS.md, step 15.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tributary::cli::main()
}
