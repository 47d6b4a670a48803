//! The `converter.type` key every Java `ConverterConfig` defines.

use rconnect_sdk::config::{ConfigDef, ConfigKey, ConfigType, Default, Importance, Validator};
use rconnect_sdk::Props;

/// `ConverterConfig.TYPE_CONFIG`.
pub(crate) const TYPE_CONFIG: &str = "converter.type";

/// Java `ConverterConfig.newConfigDef()`: just the required `converter.type`.
pub(crate) fn new_config_def() -> ConfigDef {
    ConfigDef::new().define(
        ConfigKey::new(
            TYPE_CONFIG,
            ConfigType::String,
            Default::Required,
            Importance::Low,
            "How this converter will be used.",
        )
        .validator(Validator::ValidString(vec![
            "key".into(),
            "value".into(),
            "header".into(),
        ])),
    )
}

/// `props` with `converter.type` set as Java's `configure(configs, isKey)` does.
pub(crate) fn with_type(props: &Props, is_key: bool) -> Props {
    let mut p = props.clone();
    p.insert(
        TYPE_CONFIG.into(),
        if is_key { "key" } else { "value" }.into(),
    );
    p
}

/// `props` for a header converter: the runtime injects `converter.type=header`; it is
/// filled in here too when a caller configures the converter directly.
pub(crate) fn with_header_type(props: &Props) -> Props {
    let mut p = props.clone();
    p.entry(TYPE_CONFIG.into())
        .or_insert_with(|| "header".into());
    p
}
