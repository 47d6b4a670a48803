//! Errors raised by connectors, tasks, converters and transformations.

/// Result alias used throughout the API.
pub type ConnectResult<T> = Result<T, ConnectError>;

/// The Kafka Connect exception hierarchy, flattened.
///
/// The variant decides how the runtime reacts: [`ConnectError::Retriable`] is retried
/// (sink `put`, source `poll`, and under `errors.retry.timeout`), everything else fails
/// the operation. [`ConnectError::java_class`] names the Java class a Java worker would
/// have shown, used in FAILED traces and REST error messages.
///
/// ```
/// use rconnect_sdk::ConnectError;
/// let e = ConnectError::data("Mismatching schema");
/// assert_eq!(e.to_string(), "Mismatching schema");
/// assert_eq!(e.java_class(), "org.apache.kafka.connect.errors.DataException");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectError {
    /// `DataException`: a value does not fit its schema, or bytes cannot be decoded.
    #[error("{0}")]
    Data(String),
    /// `ConfigException`: a configuration value is missing or invalid.
    #[error("{0}")]
    Config(String),
    /// `RetriableException`: a transient failure; the same operation may succeed later.
    #[error("{0}")]
    Retriable(String),
    /// `ConnectException`: any other failure of a connector or task.
    #[error("{0}")]
    Connect(String),
}

impl ConnectError {
    /// A `DataException`.
    pub fn data(msg: impl Into<String>) -> Self {
        ConnectError::Data(msg.into())
    }
    /// A `ConfigException`.
    pub fn config(msg: impl Into<String>) -> Self {
        ConnectError::Config(msg.into())
    }
    /// A `RetriableException`.
    pub fn retriable(msg: impl Into<String>) -> Self {
        ConnectError::Retriable(msg.into())
    }
    /// A `ConnectException`.
    pub fn connect(msg: impl Into<String>) -> Self {
        ConnectError::Connect(msg.into())
    }

    /// Whether the runtime may retry the failed operation.
    pub fn is_retriable(&self) -> bool {
        matches!(self, ConnectError::Retriable(_))
    }

    /// The fully qualified name of the equivalent Java exception class.
    pub fn java_class(&self) -> &'static str {
        match self {
            ConnectError::Data(_) => "org.apache.kafka.connect.errors.DataException",
            ConnectError::Config(_) => "org.apache.kafka.common.config.ConfigException",
            ConnectError::Retriable(_) => "org.apache.kafka.connect.errors.RetriableException",
            ConnectError::Connect(_) => "org.apache.kafka.connect.errors.ConnectException",
        }
    }

    /// The error rendered as a Java-style trace head: `<class>: <message>`.
    pub fn trace(&self) -> String {
        format!("{}: {}", self.java_class(), self)
    }
}

impl From<std::io::Error> for ConnectError {
    fn from(e: std::io::Error) -> Self {
        ConnectError::Connect(e.to_string())
    }
}
