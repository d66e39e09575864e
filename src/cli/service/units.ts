// Service definitions for the two services: a systemd unit (Linux) and a
// WinSW service XML (Windows; docs/operations.md says why WinSW). Pure: the
// caller passes every path, so tests render and check them anywhere.

export type ServiceKind = 'manager' | 'connector';

export interface ServiceSpec {
  kind: ServiceKind;
  /** Absolute path of the node executable. */
  node: string;
  /** Absolute path of bin/crm-tapi.js. */
  bin: string;
  /** Absolute path of the configuration file. */
  config: string;
  /** Run as this existing user; absent = systemd DynamicUser. */
  user?: string;
  /** Directories the service writes to (DataDir, BufferFile's, LogFile's). */
  writable: string[];
}

/** The manual's service names ("Dienst TAPI-Manager", "Dienst TAPI-Connector"), used for Windows. */
export const WINDOWS_SERVICE_NAME: Record<ServiceKind, string> = { manager: 'TAPI-Manager', connector: 'TAPI-Connector' };
export const SYSTEMD_UNIT_NAME: Record<ServiceKind, string> = { manager: 'crm-tapi-manager.service', connector: 'crm-tapi-connector.service' };

/**
 * Open files a service may need: the manager holds up to 20,000 browser
 * clients and MaxConnectorConnections connectors, each one socket, plus
 * SQLite and log files; the connector a handful.
 */
export const LIMIT_NOFILE: Record<ServiceKind, number> = { manager: 65_536, connector: 4_096 };

/** systemd's quoting for one ExecStart word. */
function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function execStart(spec: ServiceSpec): string[] {
  return [spec.node, spec.bin, spec.kind, '--config', spec.config];
}

export function systemdUnit(spec: ServiceSpec): string {
  const name = spec.kind === 'manager' ? 'manager (CRM side: Dataverse, connectors, browser clients)' : 'connector (phone system side)';
  const writable = [...new Set(spec.writable)].sort();
  return [
    '[Unit]',
    `Description=crm-tapi ${name}`,
    'Documentation=https://github.com/crm-tapi/crm-tapi/blob/main/docs/operations.md',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${execStart(spec).map(quote).join(' ')}`,
    // SIGHUP re-reads the configuration file (the manager; the connector watches its file anyway).
    ...(spec.kind === 'manager' ? ['ExecReload=/bin/kill -HUP $MAINPID'] : []),
    // SIGTERM: graceful stop (the connector waits for the manager to acknowledge what it buffered).
    'KillSignal=SIGTERM',
    'TimeoutStopSec=60',
    'Restart=on-failure',
    'RestartSec=5',
    // Status 2 = usage or configuration error: restarting cannot help; fix the file.
    'RestartPreventExitStatus=2',
    'Environment=NODE_ENV=production',
    // env:NAME secrets (CrmPassword = "env:CRM_TAPI_CRM_PASSWORD") come from here, mode 0600.
    `EnvironmentFile=-/etc/crm-tapi/${spec.kind}.env`,
    ...(spec.user === undefined ? ['DynamicUser=yes'] : [`User=${spec.user}`]),
    // /var/lib/crm-tapi-<kind> and /var/log/crm-tapi-<kind>, owned by the service's user (also a DynamicUser):
    // the places for DataDir/BufferFile and LogFile unless the configuration names others.
    `StateDirectory=crm-tapi-${spec.kind}`,
    `LogsDirectory=crm-tapi-${spec.kind}`,
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    ...(writable.length > 0 ? [`ReadWritePaths=${writable.map(quote).join(' ')}`] : []),
    `LimitNOFILE=${LIMIT_NOFILE[spec.kind]}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

const xml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const winArg = (word: string): string => (/[\s"]/.test(word) ? `"${word.replace(/"/g, '\\"')}"` : word);

/** WinSW v2/v3 service XML: the manual's service name, SIGINT-like stop (Ctrl+C, which Node sees as SIGINT), restart on failure. */
export function winswXml(spec: ServiceSpec): string {
  const id = WINDOWS_SERVICE_NAME[spec.kind];
  return [
    '<service>',
    `  <id>${id}</id>`,
    `  <name>${id} (crm-tapi)</name>`,
    `  <description>crm-tapi ${spec.kind}: open CRM–telephony bridge for Dynamics 365</description>`,
    `  <executable>${xml(spec.node)}</executable>`,
    `  <arguments>${xml([spec.bin, spec.kind, '--config', spec.config].map(winArg).join(' '))}</arguments>`,
    '  <startmode>Automatic</startmode>',
    '  <delayedAutoStart>true</delayedAutoStart>',
    '  <stoptimeout>60 sec</stoptimeout>',
    '  <onfailure action="restart" delay="5 sec"/>',
    '  <onfailure action="restart" delay="30 sec"/>',
    '  <resetfailure>1 hour</resetfailure>',
    // The services log themselves (LogArt/LogFile); WinSW keeps only what reaches stdout/stderr, rotated.
    '  <log mode="roll-by-size"><sizeThreshold>10240</sizeThreshold><keepFiles>8</keepFiles></log>',
    ...(spec.user === undefined ? [] : [`  <serviceaccount><username>${xml(spec.user)}</username><allowservicelogon>true</allowservicelogon></serviceaccount>`]),
    '</service>',
    '',
  ].join('\n');
}
