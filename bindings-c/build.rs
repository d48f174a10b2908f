//! Gives the shared library the soname of its major version, so programs
//! linked against libxmpptls.so.0 keep working across compatible updates.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libxmpptls.so.0");
    }
}
