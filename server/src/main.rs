fn main() -> std::process::ExitCode {
    heap_audit::cli::main()
}
