fn main() {
    std::process::exit(latchkey::cli::run());
}
