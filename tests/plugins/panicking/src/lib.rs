//! Misbehaving components for the plugin end-to-end tests.

use std::sync::Arc;

use rconnect_sdk::config::ConfigDef;
use rconnect_sdk::connector::{
    Connector, ConnectorContext, SourceConnector, SourceTask, SourceTaskContext,
};
use rconnect_sdk::record::{ConnectRecord, RecordMeta, SourceRecord};
use rconnect_sdk::transform::Transformation;
use rconnect_sdk::{async_trait, ConnectResult, Props};

/// The message the task panics with.
pub const PANIC_MESSAGE: &str = "poll exploded on purpose";

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

rconnect_sdk::export_plugin! {
    source "io.rconnect.tests.PanickingSourceConnector" => PanickingConnector, PanickingTask;
    transformation "io.rconnect.examples.transforms.UppercaseField" => DropAll;
}
