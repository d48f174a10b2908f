//! The uniffi-bindgen CLI, built from the same pinned uniffi as the library
//! so the generated bindings and the scaffolding agree (checksums, ABI).

fn main() {
    uniffi::uniffi_bindgen_main()
}
