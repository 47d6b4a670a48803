//! A library that looks like a plugin of a future interface version. The worker must skip
//! it after `rconnect_plugin_abi_version` and call nothing else: the manifest panics (an
//! abort across `extern "C"`), so the test process would crash if it were read.

#[unsafe(no_mangle)]
pub extern "C" fn rconnect_plugin_abi_version() -> u32 {
    99
}

#[unsafe(no_mangle)]
pub extern "C" fn rconnect_plugin_manifest() -> *const std::ffi::c_char {
    panic!("the manifest of a wrong-version library must not be read")
}
