//! Compiles `csrc/message_headers.c` against the librdkafka that rdkafka-sys builds.
//! rdkafka-sys (`links = "rdkafka"`) tells its direct dependents where that build is.

fn main() {
    println!("cargo:rerun-if-changed=csrc/message_headers.c");
    let Some(root) = std::env::var_os("DEP_RDKAFKA_ROOT") else {
        panic!(
            "rconnect-kafka: rdkafka-sys did not report its librdkafka build (DEP_RDKAFKA_ROOT); \
             rconnect-kafka needs the bundled (non dynamic-linking) librdkafka"
        );
    };
    let root = std::path::PathBuf::from(root);
    cc::Build::new()
        .file("csrc/message_headers.c")
        .include(root.join("src"))
        .include(&root)
        .warnings(false)
        .compile("rconnect_rdkafka_ext");
}
