//! Misbehaving components for the plugin end-to-end tests.

use std::sync::Arc;

use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::connector::{
    Connector, ConnectorContext, SourceConnector, SourceTask, SourceTaskContext,
};
use rconnect_sdk::converter::{Converter, HeaderConverter};
use rconnect_sdk::data::{Headers, SchemaAndValue, SchemaRef, Value};
use rconnect_sdk::record::{ConnectRecord, RecordMeta, SourceRecord};
use rconnect_sdk::transform::Transformation;
use rconnect_sdk::{async_trait, ConnectResult, Props};

/// The message the task panics with.
pub const PANIC_MESSAGE: &str = "poll exploded on purpose";
/// The message the converter panics with when converting a key or value.
pub const CONVERTER_PANIC_MESSAGE: &str = "converter exploded on purpose";
/// The message the header converter panics with.
pub const HEADER_CONVERTER_PANIC_MESSAGE: &str = "header converter exploded on purpose";

#[derive(Default)]
pub struct PanickingConnector(Props);

#[async_trait]
impl Connector for PanickingConnector {
    fn version(&self) -> String {
        "6.6.6".into()
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    async fn start(&mut self, _ctx: Arc<dyn ConnectorContext>, props: Props) -> ConnectResult<()> {
        self.0 = props;
        Ok(())
    }
    fn task_configs(&mut self, _max: usize) -> ConnectResult<Vec<Props>> {
        Ok(vec![self.0.clone()])
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
    fn task_class(&self) -> String {
        "io.rconnect.tests.PanickingSourceTask".into()
    }
}

impl SourceConnector for PanickingConnector {}

#[derive(Default)]
pub struct PanickingTask;

#[async_trait]
impl SourceTask for PanickingTask {
    fn version(&self) -> String {
        "6.6.6".into()
    }
    async fn start(&mut self, _ctx: SourceTaskContext, _props: Props) -> ConnectResult<()> {
        Ok(())
    }
    async fn poll(&mut self) -> ConnectResult<Option<Vec<SourceRecord>>> {
        panic!("{PANIC_MESSAGE}");
    }
    async fn stop(&mut self) -> ConnectResult<()> {
        Ok(())
    }
}

/// Drops every record; exported under the example transformation's class name so that the
/// worker sees two libraries with one class.
#[derive(Default)]
pub struct DropAll;

impl<M: RecordMeta> Transformation<M> for DropAll {
    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn config_def(&self) -> ConfigDef {
        ConfigDef::new()
    }
    fn apply(&self, _record: ConnectRecord<M>) -> ConnectResult<Option<ConnectRecord<M>>> {
        Ok(None)
    }
}

/// Configures fine, then panics on every conversion, so that only a task using it fails.
#[derive(Default)]
pub struct PanickingConverter;

#[async_trait]
impl Converter for PanickingConverter {
    fn configure(&mut self, _props: &Props, _is_key: bool) -> ConnectResult<()> {
        Ok(())
    }
    async fn from_connect(
        &self,
        _topic: &str,
        _headers: &mut Headers,
        _schema: Option<&SchemaRef>,
        _value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        panic!("{CONVERTER_PANIC_MESSAGE}");
    }
    async fn to_connect(
        &self,
        _topic: &str,
        _headers: &Headers,
        _bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        panic!("{CONVERTER_PANIC_MESSAGE}");
    }
}

impl HeaderConverter for PanickingConverter {
    fn configure(&mut self, _props: &Props) -> ConnectResult<()> {
        Ok(())
    }
    fn to_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        _bytes: Option<&[u8]>,
    ) -> ConnectResult<SchemaAndValue> {
        panic!("{HEADER_CONVERTER_PANIC_MESSAGE}");
    }
    fn from_connect_header(
        &self,
        _topic: &str,
        _key: &str,
        _schema: Option<&SchemaRef>,
        _value: &Value,
    ) -> ConnectResult<Option<Vec<u8>>> {
        panic!("{HEADER_CONVERTER_PANIC_MESSAGE}");
    }
}

rconnect_sdk::export_plugin! {
    source "io.rconnect.tests.PanickingSourceConnector" => PanickingConnector, PanickingTask;
    transformation "io.rconnect.examples.transforms.UppercaseField" => DropAll;
    converter "io.rconnect.tests.PanickingConverter" => PanickingConverter;
    header_converter "io.rconnect.tests.PanickingConverter" => PanickingConverter;
}
