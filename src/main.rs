fn main() -> std::process::ExitCode {
    trailatlas::cli::main()
}
