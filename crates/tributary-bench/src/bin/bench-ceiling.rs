//! The ceiling endpoint of the post benchmark; see `tributary_bench::ceiling`.

fn main() -> std::process::ExitCode {
    tributary_bench::ceiling::main()
}
