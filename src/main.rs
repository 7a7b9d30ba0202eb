fn main() -> std::process::ExitCode {
    tacit::cli::main()
}
