//! JDBC URLs: the `connection.url` a Java connector is given, parsed into what the Rust
//! drivers need.
//!
//! Supported forms (as the JDBC drivers of each database accept them):
//! * `jdbc:postgresql://host[:port][,host2...]/database[?key=value&...]`
//! * `jdbc:mysql://host[:port]/database[?key=value&...]`, `jdbc:mariadb://...` (same shape)
//! * `jdbc:sqlserver://host[\instance][:port][;key=value...]`, also
//!   `jdbc:microsoft:sqlserver://...` and `jdbc:jtds:sqlserver://host[:port][/database][;key=value...]`
//!
//! Property names are compared case-insensitively for SQL Server (as the Microsoft driver
//! does) and case-sensitively elsewhere.

use std::collections::BTreeMap;

/// The database family a URL designates (Java: `DatabaseDialects#findBestFor` picks the
/// dialect by the URL's subprotocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Postgres,
    MySql,
    SqlServer,
}

impl DbKind {
    /// The Confluent dialect class name (`dialect.name`) of this family.
    pub fn dialect_name(self) -> &'static str {
        match self {
            DbKind::Postgres => "PostgreSqlDatabaseDialect",
            DbKind::MySql => "MySqlDatabaseDialect",
            DbKind::SqlServer => "SqlServerDatabaseDialect",
        }
    }
}

/// A parsed JDBC URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JdbcUrl {
    pub kind: DbKind,
    pub host: String,
    pub port: u16,
    /// SQL Server named instance (`host\instance`), resolved through the SQL Browser.
    pub instance: Option<String>,
    pub database: Option<String>,
    /// Every `key=value` property of the URL, in order of appearance (later wins).
    pub properties: BTreeMap<String, String>,
}

/// A URL that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid JDBC URL '{url}': {reason}")]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

impl JdbcUrl {
    /// Parses a JDBC URL; passwords in it are kept in [`JdbcUrl::properties`].
    ///
    /// ```
    /// use rconnect_jdbc::url::{DbKind, JdbcUrl};
    /// let u = JdbcUrl::parse("jdbc:sqlserver://db.local:1433;databaseName=sales;encrypt=false").unwrap();
    /// assert_eq!(u.kind, DbKind::SqlServer);
    /// assert_eq!(u.database.as_deref(), Some("sales"));
    /// assert_eq!(u.property("ENCRYPT"), Some("false"));
    /// ```
    pub fn parse(url: &str) -> Result<JdbcUrl, UrlError> {
        let err = |reason: &str| UrlError {
            url: redact(url),
            reason: reason.to_string(),
        };
        let url = url.trim();
        let rest = url
            .strip_prefix("jdbc:")
            .ok_or_else(|| err("a JDBC URL starts with 'jdbc:'"))?;
        let (kind, rest, jtds) = if let Some(r) = rest.strip_prefix("postgresql://") {
            (DbKind::Postgres, r, false)
        } else if let Some(r) = rest
            .strip_prefix("mysql://")
            .or_else(|| rest.strip_prefix("mariadb://"))
        {
            (DbKind::MySql, r, false)
        } else if let Some(r) = rest
            .strip_prefix("sqlserver://")
            .or_else(|| rest.strip_prefix("microsoft:sqlserver://"))
        {
            (DbKind::SqlServer, r, false)
        } else if let Some(r) = rest.strip_prefix("jtds:sqlserver://") {
            (DbKind::SqlServer, r, true)
        } else {
            return Err(err(
                "unsupported database; rconnect's JDBC source reads jdbc:postgresql://, jdbc:mysql://, jdbc:mariadb:// and jdbc:sqlserver:// URLs",
            ));
        };
        match kind {
            DbKind::SqlServer => parse_sqlserver(rest, jtds).map_err(|r| err(&r)),
            _ => parse_hierarchical(kind, rest).map_err(|r| err(&r)),
        }
    }

    /// A property of the URL; case-insensitive for SQL Server.
    pub fn property(&self, key: &str) -> Option<&str> {
        if self.kind == DbKind::SqlServer {
            self.properties
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
        } else {
            self.properties.get(key).map(String::as_str)
        }
    }
}

fn default_port(kind: DbKind) -> u16 {
    match kind {
        DbKind::Postgres => 5432,
        DbKind::MySql => 3306,
        DbKind::SqlServer => 1433,
    }
}

/// `host[:port][,more hosts]/database?k=v&k2=v2` (PostgreSQL, MySQL, MariaDB).
fn parse_hierarchical(kind: DbKind, rest: &str) -> Result<JdbcUrl, String> {
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (hosts, database) = match main.split_once('/') {
        Some((h, d)) => (h, Some(d)),
        None => (main, None),
    };
    // Failover lists: the first host is used (the drivers try them in order).
    let first = hosts.split(',').next().unwrap_or_default();
    // user:password@host is accepted by the MySQL/MariaDB drivers.
    let mut properties = BTreeMap::new();
    let first = match first.rsplit_once('@') {
        Some((cred, host)) => {
            let (u, p) = cred.split_once(':').unwrap_or((cred, ""));
            properties.insert("user".to_string(), percent_decode(u));
            if !p.is_empty() {
                properties.insert("password".to_string(), percent_decode(p));
            }
            host
        }
        None => first,
    };
    let (host, port) = split_host_port(first, default_port(kind))?;
    if let Some(q) = query {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            properties.insert(percent_decode(k), percent_decode(v));
        }
    }
    let host = if host.is_empty() {
        "localhost".to_string()
    } else {
        host
    };
    Ok(JdbcUrl {
        kind,
        host,
        port,
        instance: None,
        database: database.filter(|d| !d.is_empty()).map(percent_decode),
        properties,
    })
}

/// `host[\instance][:port][;k=v...]` (Microsoft) or `host[:port][/database][;k=v...]` (jTDS).
fn parse_sqlserver(rest: &str, jtds: bool) -> Result<JdbcUrl, String> {
    let mut parts = rest.split(';');
    let server = parts.next().unwrap_or_default();
    let mut properties = BTreeMap::new();
    for p in parts.filter(|p| !p.trim().is_empty()) {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("property '{p}' has no '='"))?;
        // The Microsoft driver accepts `{...}` braces around values containing ';'.
        let v = v.trim();
        let v = v
            .strip_prefix('{')
            .and_then(|v| v.strip_suffix('}'))
            .unwrap_or(v);
        properties.insert(k.trim().to_string(), v.to_string());
    }
    let (server, path_db) = match server.split_once('/') {
        Some((s, d)) if jtds => (s, Some(d.to_string())),
        _ => (server, None),
    };
    let (server, mut instance) = match server.split_once('\\') {
        Some((h, i)) => (h.to_string(), Some(i.to_string())),
        None => (server.to_string(), None),
    };
    let (host, mut port) = split_host_port(&server, 1433)?;
    // `instance\port` may also carry the port: `host\inst:1444`.
    if let Some(i) = instance.clone() {
        if let Some((name, p)) = i.rsplit_once(':') {
            port = p
                .parse()
                .map_err(|_| format!("port '{p}' is not a number"))?;
            instance = Some(name.to_string());
        }
    }
    let prop = |k: &str| {
        properties
            .iter()
            .find(|(pk, _)| pk.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    if let Some(p) = prop("portNumber").or_else(|| prop("port")) {
        port = p
            .parse()
            .map_err(|_| format!("portNumber '{p}' is not a number"))?;
    }
    if instance.is_none() {
        instance = prop("instanceName").or_else(|| prop("instance"));
    }
    let host = match (host.is_empty(), prop("serverName")) {
        (true, Some(s)) => s,
        (true, None) => "localhost".to_string(),
        (false, _) => host,
    };
    let database = path_db
        .filter(|d| !d.is_empty())
        .or_else(|| prop("databaseName"))
        .or_else(|| prop("database"));
    Ok(JdbcUrl {
        kind: DbKind::SqlServer,
        host,
        port,
        instance,
        database,
        properties,
    })
}

fn split_host_port(s: &str, default: u16) -> Result<(String, u16), String> {
    // [v6]:port
    if let Some(r) = s.strip_prefix('[') {
        let (h, after) = r
            .split_once(']')
            .ok_or_else(|| format!("unterminated IPv6 address in '{s}'"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p
                .parse()
                .map_err(|_| format!("port '{p}' is not a number"))?,
            None => default,
        };
        return Ok((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_string(),
            p.parse()
                .map_err(|_| format!("port '{p}' is not a number"))?,
        )),
        None => Ok((s.to_string(), default)),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with password values replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(pos) = rest.to_ascii_lowercase().find("password=") {
        let start = pos + "password=".len();
        out.push_str(&rest[..start]);
        out.push_str("****");
        let tail = &rest[start..];
        let end = tail.find([';', '&']).unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlserver_forms() {
        let u = JdbcUrl::parse(
            "jdbc:sqlserver://sql.example.com:1433;databaseName=destiny;encrypt=true;trustServerCertificate=true;user=sa;password=p;w",
        );
        // `p;w` splits at ';' into a property with no '='.
        assert!(u.is_err());
        let u = JdbcUrl::parse(
            "jdbc:sqlserver://sql.example.com:1433;databaseName=destiny;encrypt=true;trustServerCertificate=true;user=sa;password={p;w}",
        );
        assert!(
            u.is_err(),
            "braces with ';' inside are split first; documented limitation"
        );
        let u = JdbcUrl::parse(
            "jdbc:sqlserver://sql.example.com:1433;databaseName=destiny;encrypt=true;trustServerCertificate=true;user=sa;password=pw",
        )
        .unwrap();
        assert_eq!(u.kind, DbKind::SqlServer);
        assert_eq!(u.host, "sql.example.com");
        assert_eq!(u.port, 1433);
        assert_eq!(u.database.as_deref(), Some("destiny"));
        assert_eq!(u.property("trustservercertificate"), Some("true"));
        assert_eq!(u.property("password"), Some("pw"));

        let u = JdbcUrl::parse("jdbc:sqlserver://localhost\\SQLEXPRESS;database=db").unwrap();
        assert_eq!(u.instance.as_deref(), Some("SQLEXPRESS"));
        assert_eq!(u.port, 1433);
        assert_eq!(u.database.as_deref(), Some("db"));

        let u = JdbcUrl::parse("jdbc:sqlserver://;serverName=10.0.0.5;portNumber=1444").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("10.0.0.5", 1444));

        let u = JdbcUrl::parse("jdbc:jtds:sqlserver://h:1500/sales;user=u").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("h", 1500));
        assert_eq!(u.database.as_deref(), Some("sales"));
        let u = JdbcUrl::parse("jdbc:microsoft:sqlserver://h").unwrap();
        assert_eq!(u.kind, DbKind::SqlServer);
    }

    #[test]
    fn postgres_and_mysql_forms() {
        let u = JdbcUrl::parse(
            "jdbc:postgresql://127.0.0.1:5433/shop?user=app&password=s%40cret&sslmode=require",
        )
        .unwrap();
        assert_eq!(u.kind, DbKind::Postgres);
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 5433));
        assert_eq!(u.database.as_deref(), Some("shop"));
        assert_eq!(u.property("password"), Some("s@cret"));
        assert_eq!(u.property("sslmode"), Some("require"));
        let u = JdbcUrl::parse("jdbc:postgresql://db/shop").unwrap();
        assert_eq!(u.port, 5432);
        let u = JdbcUrl::parse("jdbc:postgresql://a:1,b:2/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("a", 1));

        let u = JdbcUrl::parse("jdbc:mysql://localhost/db_name").unwrap();
        assert_eq!((u.kind, u.port), (DbKind::MySql, 3306));
        let u = JdbcUrl::parse("jdbc:mariadb://root:pw@127.0.0.1:3307/x?useSSL=false").unwrap();
        assert_eq!(u.kind, DbKind::MySql);
        assert_eq!(u.property("user"), Some("root"));
        assert_eq!(u.property("password"), Some("pw"));
        assert_eq!(u.port, 3307);
        let u = JdbcUrl::parse("jdbc:mysql://[::1]:3306/d").unwrap();
        assert_eq!(u.host, "::1");
    }

    #[test]
    fn bad_urls_are_named() {
        let e = JdbcUrl::parse("jdbc:oracle:thin:@h:1521:orcl").unwrap_err();
        assert!(e.to_string().contains("unsupported database"), "{e}");
        let e = JdbcUrl::parse("postgresql://h/db").unwrap_err();
        assert!(e.to_string().contains("starts with 'jdbc:'"));
        let e = JdbcUrl::parse("jdbc:postgresql://h:notaport/db").unwrap_err();
        assert!(e.to_string().contains("port 'notaport'"));
        let e = JdbcUrl::parse("jdbc:sqlserver://h;user=u;password=x;bad").unwrap_err();
        assert!(!e.to_string().contains("=x"), "password redacted: {e}");
    }
}
