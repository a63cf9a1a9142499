//! `hourglass serve`: the web app.

use std::{
    net::{IpAddr, SocketAddr, ToSocketAddrs},
    path::PathBuf,
};

use anyhow::{Context, Result, bail};
use clap::Args;
use hourglass_server::Config;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address or host name to bind (localhost works); anything but loopback needs --token
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Open the app in the default browser
    #[arg(long)]
    pub open: bool,
    /// Require this token on every request (the printed URL carries it); at least 8
    /// letters, digits, '-' or '_'
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Where the pages look for MNIST and Fashion-MNIST first (then $HOURGLASS_DATA, the
    /// user cache folder, and Debian's folder for Fashion-MNIST)
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where models are kept [default: ~/.cache/hourglass/models]
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Most tensor-training jobs at once; further ones wait in a queue [default: the number
    /// of cores]
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Pages download datasets from this base URL (URL/mnist/…) instead of the public
    /// mirrors: a local copy, or a test server
    #[arg(long, value_name = "URL")]
    pub mirror: Option<String>,
}

/// The address `host` names: an IP address, or a name that resolves (loopback first).
fn resolve(host: &str) -> Result<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let addrs: Vec<IpAddr> = (host, 0u16)
        .to_socket_addrs()
        .with_context(|| format!("--host {host}: not an address, and the name does not resolve"))?
        .map(|a| a.ip())
        .collect();
    addrs
        .iter()
        .find(|ip| ip.is_loopback() && ip.is_ipv4())
        .or_else(|| addrs.iter().find(|ip| ip.is_loopback()))
        .or(addrs.first())
        .copied()
        .ok_or_else(|| anyhow::anyhow!("--host {host}: the name resolves to no address"))
}

pub fn run(args: ServeArgs) -> Result<()> {
    let host = resolve(&args.host)?;
    if !host.is_loopback() && args.token.is_none() {
        bail!(
            "refusing to listen on {} without --token: anyone on the network could drive it",
            args.host
        );
    }
    if host.to_string() != args.host && !args.host.is_empty() {
        eprintln!("note: {} is {host}", args.host);
    }
    if let Some(t) = &args.token
        && (t.len() < 8
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        bail!("--token must be at least 8 characters of letters, digits, '-' or '_'");
    }
    if args.jobs == Some(0) {
        bail!("--jobs must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, args.port))
            .await
            .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
        let addr = listener.local_addr()?;
        let mut config = Config::for_address(addr, args.token.clone());
        config.data_dir = args.data_dir.clone();
        config.models_dir = args
            .models
            .clone()
            .unwrap_or_else(hourglass_data::default_models_dir);
        if let Some(n) = args.jobs {
            config.jobs = n;
        }
        config.mirror = args.mirror.clone();
        let host = config.allowed_hosts[0].clone();
        // listen for Ctrl-C before announcing the URL: a signal that comes right after the
        // announcement must stop the server cleanly, not kill it
        #[cfg(unix)]
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .context("cannot listen for Ctrl-C")?;
        let url = match &args.token {
            Some(t) => format!("http://{host}/glass?token={t}"),
            None => format!("http://{host}/glass"),
        };
        {
            // a closed stdout (a parent that read the URL and left) must not stop the server
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "Hourglass is running at {url}\nPress Ctrl-C to stop.");
            let _ = out.flush();
        }
        if args.open
            && let Err(e) = open::that_detached(&url)
        {
            eprintln!("note: could not open a browser ({e})");
        }
        let shutdown = async move {
            #[cfg(unix)]
            let _ = interrupt.recv().await;
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        };
        hourglass_server::serve(listener, config, shutdown)
            .await
            .context("server failed")?;
        eprintln!("stopped");
        Ok(())
    })
}
