//! What differs between databases in the SQL the connector writes: identifier quoting,
//! table names, placeholders, and the query of each mode (Java: `GenericDatabaseDialect`,
//! `SqlServerDatabaseDialect`, `PostgreSqlDatabaseDialect`, `MySqlDatabaseDialect`,
//! `TimestampIncrementingCriteria`, `util/ExpressionBuilder`).

use crate::url::DbKind;

/// `quote.sql.identifiers` (Java `QuoteMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteMethod {
    Always,
    Never,
}

/// A table as the database's metadata names it (Java `util/TableId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    pub catalog: Option<String>,
    pub schema: Option<String>,
    pub table: String,
}

impl TableId {
    pub fn new(catalog: Option<&str>, schema: Option<&str>, table: &str) -> Self {
        TableId {
            catalog: catalog.filter(|c| !c.is_empty()).map(str::to_owned),
            schema: schema.filter(|s| !s.is_empty()).map(str::to_owned),
            table: table.to_string(),
        }
    }

    /// The unquoted fully qualified name, `catalog.schema.table` without the absent parts:
    /// the `table` of the V1 offset partition and what whitelists and regexes match.
    pub fn unquoted(&self) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(3);
        parts.extend(self.catalog.as_deref());
        parts.extend(self.schema.as_deref());
        parts.push(&self.table);
        parts.join(".")
    }
}

/// The SQL dialect of one database family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub kind: DbKind,
    pub quote: QuoteMethod,
}

/// The configured `mode` (Java `JdbcSourceConnectorConfig.MODE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bulk,
    Incrementing,
    Timestamp,
    TimestampIncrementing,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "bulk" => Mode::Bulk,
            "incrementing" => Mode::Incrementing,
            "timestamp" => Mode::Timestamp,
            "timestamp+incrementing" => Mode::TimestampIncrementing,
            _ => return None,
        })
    }
    pub fn uses_incrementing(self) -> bool {
        matches!(self, Mode::Incrementing | Mode::TimestampIncrementing)
    }
    pub fn uses_timestamp(self) -> bool {
        matches!(self, Mode::Timestamp | Mode::TimestampIncrementing)
    }
}

/// Which parameter values a mode's query binds, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// The last incrementing value (−1 when none).
    Incrementing,
    /// The stored timestamp (epoch 0 when none).
    Begin,
    /// Database now minus `timestamp.delay.interval.ms`.
    End,
}

/// What a querier's statement is built from: the mode, the table (table mode) or the
/// user's `query` (query mode), the configured columns and `query.suffix`.
///
/// ```
/// use rconnect_jdbc::dialect::{Mode, QuerySpec, TableId};
/// let t = TableId::new(None, Some("public"), "orders");
/// let spec = QuerySpec::table(Mode::Incrementing, &t).incrementing("id");
/// assert_eq!(spec.incrementing, Some("id"));
/// assert_eq!(spec.suffix, "");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct QuerySpec<'a> {
    pub mode: Mode,
    /// Table mode: the table; its columns are qualified by its name.
    pub table: Option<&'a TableId>,
    /// Query mode (`query`): the statement the criteria are appended to.
    pub user_query: Option<&'a str>,
    /// `incrementing.column.name`, in the incrementing modes.
    pub incrementing: Option<&'a str>,
    /// `timestamp.column.name`, in the timestamp modes (several are COALESCEd).
    pub timestamps: &'a [String],
    /// `query.suffix`.
    pub suffix: &'a str,
}

impl<'a> QuerySpec<'a> {
    /// Table mode on `table`, without columns or suffix.
    pub fn table(mode: Mode, table: &'a TableId) -> Self {
        QuerySpec {
            table: Some(table),
            ..QuerySpec::table_less(mode)
        }
    }

    /// Query mode on the user's `query`, without columns or suffix.
    pub fn user_query(mode: Mode, query: &'a str) -> Self {
        QuerySpec {
            user_query: Some(query),
            ..QuerySpec::table_less(mode)
        }
    }

    fn table_less(mode: Mode) -> Self {
        QuerySpec {
            mode,
            table: None,
            user_query: None,
            incrementing: None,
            timestamps: &[],
            suffix: "",
        }
    }

    /// With `incrementing.column.name`.
    pub fn incrementing(self, column: &'a str) -> Self {
        QuerySpec {
            incrementing: Some(column),
            ..self
        }
    }

    /// With `timestamp.column.name`.
    pub fn timestamps(self, columns: &'a [String]) -> Self {
        QuerySpec {
            timestamps: columns,
            ..self
        }
    }

    /// With `query.suffix`.
    pub fn suffix(self, suffix: &'a str) -> Self {
        QuerySpec { suffix, ..self }
    }
}

impl Dialect {
    pub fn new(kind: DbKind, quote: QuoteMethod) -> Self {
        Dialect { kind, quote }
    }

    /// The identifier quote the drivers report: `"` for PostgreSQL and SQL Server (the
    /// Microsoft driver answers `"`; sessions run with `QUOTED_IDENTIFIER ON`), a backtick
    /// for MySQL/MariaDB.
    fn quote_char(&self) -> char {
        match self.kind {
            DbKind::MySql => '`',
            DbKind::Postgres | DbKind::SqlServer => '"',
        }
    }

    /// One identifier, quoted unless `quote.sql.identifiers=never`. A quote character inside
    /// the name is doubled (Java leaves it as is, which makes such names unusable).
    pub fn ident(&self, name: &str) -> String {
        match self.quote {
            QuoteMethod::Never => name.to_string(),
            QuoteMethod::Always => {
                let q = self.quote_char();
                let mut s = String::with_capacity(name.len() + 2);
                s.push(q);
                for c in name.chars() {
                    if c == q {
                        s.push(q);
                    }
                    s.push(c);
                }
                s.push(q);
                s
            }
        }
    }

    /// A table rendered for SQL, e.g. `"mydb"."dbo"."orders"`.
    pub fn table(&self, t: &TableId) -> String {
        let mut parts = Vec::with_capacity(3);
        if let Some(c) = &t.catalog {
            parts.push(self.ident(c));
        }
        if let Some(s) = &t.schema {
            parts.push(self.ident(s));
        }
        parts.push(self.ident(&t.table));
        parts.join(".")
    }

    /// The `n`th (1-based) bind placeholder of the driver.
    pub fn placeholder(&self, n: usize) -> String {
        match self.kind {
            DbKind::Postgres => format!("${n}"),
            DbKind::MySql => "?".to_string(),
            DbKind::SqlServer => format!("@P{n}"),
        }
    }

    /// The query giving the database's current time (Java
    /// `GenericDatabaseDialect#currentTimestampDatabaseQuery`: `SELECT CURRENT_TIMESTAMP`
    /// for all three).
    pub fn current_timestamp_query(&self) -> &'static str {
        "SELECT CURRENT_TIMESTAMP"
    }

    /// A column reference: qualified by the table in table mode, bare in query mode.
    fn column(&self, table: Option<&TableId>, col: &str) -> String {
        match table {
            Some(t) => format!("{}.{}", self.table(t), self.ident(col)),
            None => self.ident(col),
        }
    }

    /// The statement a querier runs and the parameters it binds (Java
    /// `TimestampIncrementingCriteria#whereClause` appended to `SELECT * FROM <T>` or to the
    /// user's query, then `query.suffix` after one space).
    ///
    /// ```
    /// use rconnect_jdbc::dialect::{Dialect, Mode, QuerySpec, QuoteMethod, TableId};
    /// use rconnect_jdbc::url::DbKind;
    /// let d = Dialect::new(DbKind::Postgres, QuoteMethod::Always);
    /// let t = TableId::new(Some("shop"), Some("public"), "orders");
    /// let (sql, _) = d.query(&QuerySpec::table(Mode::Incrementing, &t).incrementing("id"));
    /// assert_eq!(sql, r#"SELECT * FROM "shop"."public"."orders" WHERE "shop"."public"."orders"."id" > $1 ORDER BY "shop"."public"."orders"."id" ASC"#);
    /// ```
    pub fn query(&self, spec: &QuerySpec<'_>) -> (String, Vec<Param>) {
        self.build_query(spec, &|n| self.placeholder(n))
    }

    /// The statement of [`Dialect::query`] cut at its placeholders: `parts.len()` is one more
    /// than the parameters, which go between the parts (rconnect inlines them as literals
    /// where the statement cannot take bind parameters: PostgreSQL's `COPY`).
    ///
    /// ```
    /// use rconnect_jdbc::dialect::{Dialect, Mode, Param, QuerySpec, QuoteMethod, TableId};
    /// use rconnect_jdbc::url::DbKind;
    /// let d = Dialect::new(DbKind::Postgres, QuoteMethod::Always);
    /// let t = TableId::new(None, Some("public"), "t");
    /// let spec = QuerySpec::table(Mode::Incrementing, &t).incrementing("id").suffix("LIMIT 5");
    /// let (parts, params) = d.query_parts(&spec);
    /// assert_eq!(parts, [r#"SELECT * FROM "public"."t" WHERE "public"."t"."id" > "#, r#" ORDER BY "public"."t"."id" ASC LIMIT 5"#]);
    /// assert_eq!(params, [Param::Incrementing]);
    /// ```
    pub fn query_parts(&self, spec: &QuerySpec<'_>) -> (Vec<String>, Vec<Param>) {
        // NUL cannot occur in SQL text (PostgreSQL refuses it), so it cannot clash with
        // the user's query or suffix.
        const CUT: &str = "\0";
        let (sql, params) = self.build_query(spec, &|_| CUT.to_string());
        (sql.split(CUT).map(str::to_owned).collect(), params)
    }

    fn build_query(
        &self,
        spec: &QuerySpec<'_>,
        placeholder: &dyn Fn(usize) -> String,
    ) -> (String, Vec<Param>) {
        let QuerySpec {
            mode,
            table,
            user_query,
            incrementing,
            timestamps,
            suffix,
        } = *spec;
        let mut sql = match (table, user_query) {
            (Some(t), _) => {
                // Java: the PostgreSQL catalog is the database; it cannot be named in a
                // FROM clause of another database, and naming the current one is accepted.
                format!("SELECT * FROM {}", self.table(t))
            }
            (None, Some(q)) => q.to_string(),
            (None, None) => String::new(),
        };
        let ts_expr = || {
            if timestamps.len() == 1 {
                self.column(table, &timestamps[0])
            } else {
                let cols: Vec<String> = timestamps.iter().map(|c| self.column(table, c)).collect();
                format!("COALESCE({})", cols.join(","))
            }
        };
        let mut n = 0;
        let mut ph = || {
            n += 1;
            placeholder(n)
        };
        let params = match (mode, incrementing) {
            (Mode::Bulk, _) => vec![],
            (Mode::Incrementing, Some(inc)) => {
                let inc = self.column(table, inc);
                sql.push_str(&format!(" WHERE {inc} > {} ORDER BY {inc} ASC", ph()));
                vec![Param::Incrementing]
            }
            (Mode::Timestamp, _) => {
                let ts = ts_expr();
                let (p1, p2) = (ph(), ph());
                sql.push_str(&format!(
                    " WHERE {ts} > {p1} AND {ts} < {p2} ORDER BY {ts} ASC"
                ));
                vec![Param::Begin, Param::End]
            }
            (Mode::TimestampIncrementing, Some(inc)) => {
                let ts = ts_expr();
                let inc = self.column(table, inc);
                let (p1, p2, p3, p4) = (ph(), ph(), ph(), ph());
                sql.push_str(&format!(
                    " WHERE {ts} < {p1} AND (({ts} = {p2} AND {inc} > {p3}) OR {ts} > {p4}) ORDER BY {ts},{inc} ASC"
                ));
                vec![Param::End, Param::Begin, Param::Incrementing, Param::Begin]
            }
            // Without an incrementing column, Java's criteria degrade to the timestamp-only
            // clause; the task refuses to start in that case, so this is not reached.
            (Mode::Incrementing, None) => vec![],
            (Mode::TimestampIncrementing, None) => {
                let ts = ts_expr();
                let (p1, p2) = (ph(), ph());
                sql.push_str(&format!(
                    " WHERE {ts} > {p1} AND {ts} < {p2} ORDER BY {ts} ASC"
                ));
                vec![Param::Begin, Param::End]
            }
        };
        let suffix = suffix.trim();
        if !suffix.is_empty() {
            sql.push(' ');
            sql.push_str(suffix);
        }
        (sql, params)
    }

    /// A configured table name (`table.whitelist` entry) parsed as the dialect does: for
    /// SQL Server `a.b` is `catalog.table` with schema `dbo` defaulted.
    pub fn matches_configured(&self, t: &TableId, entry: &str) -> bool {
        entry == t.unquoted()
            || entry == t.table
            || entry == self.with_quote(QuoteMethod::Always).table(t)
    }

    fn with_quote(&self, quote: QuoteMethod) -> Dialect {
        Dialect {
            kind: self.kind,
            quote,
        }
    }

    /// Parses a quoted or unquoted FQN written by the connector into a task's `tables`.
    pub fn parse_table(&self, s: &str) -> TableId {
        let q = self.quote_char();
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut in_quote = false;
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == q {
                if in_quote && chars.peek() == Some(&q) {
                    cur.push(q);
                    chars.next();
                } else {
                    in_quote = !in_quote;
                }
            } else if c == '.' && !in_quote {
                parts.push(std::mem::take(&mut cur));
            } else {
                cur.push(c);
            }
        }
        parts.push(cur);
        match parts.len() {
            1 => TableId::new(None, None, &parts[0]),
            2 => match self.kind {
                // MySQL's JDBC catalog is the database; SQL Server reads `a.b` as
                // catalog.table with schema dbo (Java `SqlServerDatabaseDialect#parseTableIdentifier`).
                DbKind::MySql => TableId::new(Some(&parts[0]), None, &parts[1]),
                DbKind::SqlServer => TableId::new(Some(&parts[0]), Some("dbo"), &parts[1]),
                DbKind::Postgres => TableId::new(None, Some(&parts[0]), &parts[1]),
            },
            _ => {
                let n = parts.len();
                TableId::new(Some(&parts[n - 3]), Some(&parts[n - 2]), &parts[n - 1])
            }
        }
    }

    /// A task's `tables` value: the group as comma-joined quoted FQNs.
    pub fn tables_value(&self, tables: &[TableId]) -> String {
        tables
            .iter()
            .map(|t| self.table(t))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Splits a task's `tables` value on commas outside quotes.
pub fn split_tables(s: &str, quote: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quote = false;
    for c in s.chars() {
        if c == quote {
            in_quote = !in_quote;
            cur.push(c);
        } else if c == ',' && !in_quote {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The quote character a dialect family uses, for [`split_tables`].
pub fn quote_char_of(kind: DbKind) -> char {
    Dialect::new(kind, QuoteMethod::Always).quote_char()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ss() -> Dialect {
        Dialect::new(DbKind::SqlServer, QuoteMethod::Always)
    }
    fn orders() -> TableId {
        TableId::new(Some("mydb"), Some("dbo"), "orders")
    }

    #[test]
    fn sqlserver_timestamp_incrementing_matches_confluent() {
        let modified = ["modified".to_string()];
        let t = orders();
        let (sql, params) = ss().query(
            &QuerySpec::table(Mode::TimestampIncrementing, &t)
                .incrementing("id")
                .timestamps(&modified),
        );
        // Confluent's text with the driver's `?` placeholders numbered for tiberius.
        assert_eq!(
            sql,
            r#"SELECT * FROM "mydb"."dbo"."orders" WHERE "mydb"."dbo"."orders"."modified" < @P1 AND (("mydb"."dbo"."orders"."modified" = @P2 AND "mydb"."dbo"."orders"."id" > @P3) OR "mydb"."dbo"."orders"."modified" > @P4) ORDER BY "mydb"."dbo"."orders"."modified","mydb"."dbo"."orders"."id" ASC"#
        );
        assert_eq!(
            params,
            [Param::End, Param::Begin, Param::Incrementing, Param::Begin]
        );
    }

    #[test]
    fn each_mode_per_dialect() {
        let t = orders();
        let (sql, p) = ss().query(&QuerySpec::table(Mode::Bulk, &t));
        assert_eq!(sql, r#"SELECT * FROM "mydb"."dbo"."orders""#);
        assert!(p.is_empty());
        let ab = ["a".to_string(), "b".to_string()];
        let (sql, p) = ss().query(
            &QuerySpec::table(Mode::Timestamp, &t)
                .timestamps(&ab)
                .suffix(" OPTION (RECOMPILE) "),
        );
        assert_eq!(
            sql,
            r#"SELECT * FROM "mydb"."dbo"."orders" WHERE COALESCE("mydb"."dbo"."orders"."a","mydb"."dbo"."orders"."b") > @P1 AND COALESCE("mydb"."dbo"."orders"."a","mydb"."dbo"."orders"."b") < @P2 ORDER BY COALESCE("mydb"."dbo"."orders"."a","mydb"."dbo"."orders"."b") ASC OPTION (RECOMPILE)"#
        );
        assert_eq!(p, [Param::Begin, Param::End]);

        let my = Dialect::new(DbKind::MySql, QuoteMethod::Always);
        let t = TableId::new(Some("shop"), None, "orders");
        let (sql, _) = my.query(&QuerySpec::table(Mode::Incrementing, &t).incrementing("id"));
        assert_eq!(
            sql,
            "SELECT * FROM `shop`.`orders` WHERE `shop`.`orders`.`id` > ? ORDER BY `shop`.`orders`.`id` ASC"
        );
        let ts = ["ts".to_string()];
        let (sql, _) = my.query(
            &QuerySpec::table(Mode::TimestampIncrementing, &t)
                .incrementing("id")
                .timestamps(&ts)
                .suffix("LIMIT 10"),
        );
        assert_eq!(
            sql,
            "SELECT * FROM `shop`.`orders` WHERE `shop`.`orders`.`ts` < ? AND ((`shop`.`orders`.`ts` = ? AND `shop`.`orders`.`id` > ?) OR `shop`.`orders`.`ts` > ?) ORDER BY `shop`.`orders`.`ts`,`shop`.`orders`.`id` ASC LIMIT 10"
        );

        let pg = Dialect::new(DbKind::Postgres, QuoteMethod::Never);
        let t = TableId::new(Some("shop"), Some("public"), "orders");
        let (sql, _) = pg.query(&QuerySpec::table(Mode::Timestamp, &t).timestamps(&ts));
        assert_eq!(
            sql,
            "SELECT * FROM shop.public.orders WHERE shop.public.orders.ts > $1 AND shop.public.orders.ts < $2 ORDER BY shop.public.orders.ts ASC"
        );
    }

    #[test]
    fn query_mode_uses_bare_columns() {
        let (sql, p) = ss().query(
            &QuerySpec::user_query(
                Mode::Incrementing,
                "SELECT id, modified, name FROM dbo.orders",
            )
            .incrementing("id"),
        );
        assert_eq!(
            sql,
            r#"SELECT id, modified, name FROM dbo.orders WHERE "id" > @P1 ORDER BY "id" ASC"#
        );
        assert_eq!(p, [Param::Incrementing]);
    }

    #[test]
    fn quoting_and_table_names() {
        let pg = Dialect::new(DbKind::Postgres, QuoteMethod::Always);
        assert_eq!(pg.ident(r#"we"ird"#), r#""we""ird""#);
        let t = orders();
        assert_eq!(t.unquoted(), "mydb.dbo.orders");
        assert!(ss().matches_configured(&t, "orders"));
        assert!(ss().matches_configured(&t, "mydb.dbo.orders"));
        assert!(ss().matches_configured(&t, r#""mydb"."dbo"."orders""#));
        // Java's pitfall: the schema-qualified form matches nothing on SQL Server.
        assert!(!ss().matches_configured(&t, "dbo.orders"));
        assert_eq!(ss().parse_table(r#""mydb"."dbo"."orders""#), t);
        assert_eq!(
            ss().parse_table("mydb.orders"),
            TableId::new(Some("mydb"), Some("dbo"), "orders")
        );
        let my = Dialect::new(DbKind::MySql, QuoteMethod::Always);
        let t2 = TableId::new(Some("shop"), None, "a.b");
        assert_eq!(my.parse_table(&my.table(&t2)), t2);
        let v = ss().tables_value(&[t.clone(), TableId::new(Some("mydb"), Some("dbo"), "x,y")]);
        assert_eq!(v, r#""mydb"."dbo"."orders","mydb"."dbo"."x,y""#);
        assert_eq!(
            split_tables(&v, '"'),
            [r#""mydb"."dbo"."orders""#, r#""mydb"."dbo"."x,y""#]
        );
    }
}
