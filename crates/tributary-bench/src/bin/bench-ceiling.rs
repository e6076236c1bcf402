//! The ceiling endpoint of the post benchmark; see `tributary_bench::ceiling`.

// The same allocator as `tributary serve`, so that the ratio compares like with like.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tributary_bench::ceiling::main()
}
