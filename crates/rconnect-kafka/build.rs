//! Compiles `csrc/message_headers.c` against the librdkafka that rdkafka-sys builds.
//! rdkafka-sys (`links = "rdkafka"`) tells its direct dependents where that build is.

fn main() {
    println!("cargo:rerun-if-changed=csrc/message_headers.c");
    // On Windows rdkafka-sys builds librdkafka with cmake, whose private headers need the
    // compile definitions of that build (`WITHOUT_WIN32_CONFIG`, `WITH_SSL`, ...) to lay out
    // the message struct as the library does; rdkafka-sys does not export them, and a guessed
    // layout could drop headers. There the consumer asks librdkafka for every message's
    // headers instead (src/consumer.rs): same records, a little more work per record.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        return;
    }
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
