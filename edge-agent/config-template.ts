// `tianzhong edge-agent config-template`: a commented example of every key
// (defaults shown). test/config.test.ts checks it parses with the schema, so
// it cannot drift from config.ts.
export const CONFIG_TEMPLATE = `# Tianzhong edge agent — one file per gateway.
# Reload without a restart (queued data is kept): kill -HUP <pid>.

gatewayId: gw-gulou-01                 # also the MQTT client id and the broker username's branch
brokerUrl: mqtts://broker.example.city:8883
username: gw-gulou-01
# password: never commit it; set TZ_GATEWAY_PASSWORD in the service environment instead.
dataDir: /var/lib/tianzhong/gw-gulou-01  # disk queue, per-device counters, command log (must survive reboots)

pollIntervalMs: 5000          # Modbus poll interval (per device: pollIntervalMs)
requestTimeoutMs: 1000        # per Modbus request
retries: 1                    # extra attempts of a timed-out request while the device is healthy
offlineAfterFailures: 3       # failed polls in a row before DeviceStatus OFFLINE
maxDeviceBackoffMs: 60000     # an offline device is retried at most this far apart
sendMetricNames: false        # false: compact MetricValue.index; true: metric names

report:                       # report strategy per metric
  maxIntervalS: 300           # a metric under a deadband is still sent at least this often
  deadbands:                  # "metric" or "profile.metric": absolute change needed to send
    water-meter.pressure_mpa: 0.005
    tilt_deg: 0.5

batch:
  maxReadings: 500            # a batch is sealed at this many readings...
  maxDelayMs: 1000            # ...or this long after its first one

queue:
  maxBytes: 268435456         # disk queue bound; when full the OLDEST batches are dropped (counted)
  maxInFlight: 16             # batches awaiting PUBACK at once
  replayReadingsPerSecond: 5000  # backlog replay rate after an outage; live data is not held behind it

lora:                         # Semtech UDP packet forwarders send here (serv_port_up / serv_port_down)
  host: 0.0.0.0
  port: 1700
  dedupWindowMs: 2000         # copies of one frame from several forwarders count once
  maxFcntGap: 16384           # LoRaWAN MAX_FCNT_GAP
  rx1DelayUs: 1000000         # class A RX1 delay
  codecTimeoutMs: 100         # per codec call
  codecMemoryBytes: 8388608
  netId: "000000"             # OTAA: NetID in JoinAccepts; its 7 LSBs start every DevAddr handed out
  joinAcceptDelayUs: 5000000  # JOIN_ACCEPT_DELAY1
  rx2FrequencyMHz: 505.3      # class C downlinks go out at once on RX2 (CN470-510 defaults)
  rx2DataRate: SF12BW125
  maxFramesPerDevicePerMinute: 120   # above it a device's frames are refused (counted as flood)

remoteConfig: true            # accept the device list the centre pushes (down/config); false = this file only
commandTimeoutMs: 120000      # commands without expiresAtMs
statusIntervalMs: 30000       # retained GatewayStatus
http: { host: 127.0.0.1, port: 9464 }   # /metrics, /healthz

fieldProtocols:               # CJ/T 188 and DL/T 645 meter lines, HJ 212 stations (devices with \`field:\`)
  requestTimeoutMs: 1000      # per meter request
  interFrameDelayMs: 20       # silence between frames on a meter line
  hj212:                      # the stations' platform address
    host: 0.0.0.0
    port: 9212
    maxConnections: 5000      # more are refused (counted)
    maxDataBytes: 1024        # HJ 212-2017 §6.3.1
    idleTimeoutMs: 600000     # silent connections are closed
    framesPerMinute: 60       # per station (MN); more are dropped (counted, reason flood)
    burst: 20
    maxBadInARow: 50          # rejected packets in a row before the connection is closed

serialLines:                  # Modbus RTU (RS-485 adapters)
  - name: rs485-1
    path: /dev/ttyUSB0
    baudRate: 9600
    parity: none              # none | even | odd
    dataBits: 8
    stopBits: 1
    # interFrameDelayMs: default 3.5 character times
  - name: mbus-1              # CJ/T 188 water meters (2400 baud, even parity is common)
    path: /dev/ttyUSB1
    baudRate: 2400
    parity: even

# Optional when the centre's registry pushes the device list (remoteConfig): the pushed list then
# replaces these, and this file is only the bootstrap (broker, credentials, dataDir, serialLines).
devices:
  - deviceId: mh-0001         # Modbus TCP (a TCP gateway in front of an RS-485 line)
    profile: manhole-cover
    district: gulou
    modbus: { host: 10.20.0.5, port: 502, unitId: 1 }
  - deviceId: pole-0001       # Modbus RTU on a local serial line
    profile: smart-pole
    district: gulou
    modbus: { line: rs485-1, unitId: 2 }
    pollIntervalMs: 60000
    report: { deadbands: { noise_db: 1 } }
  - deviceId: wm-lora-0001    # LoRaWAN ABP; keys are per device, 16 bytes hex
    profile: water-meter
    district: gulou
    lora:
      devAddr: 26011BDA
      nwkSKey: 000102030405060708090A0B0C0D0E0F
      appSKey: 101112131415161718191A1B1C1D1E1F
  - deviceId: wm-188-0001     # CJ/T 188 water meter on a meter bus (address as printed)
    profile: water-meter
    district: gulou
    pollIntervalMs: 900000
    field: { transport: cjt188, line: mbus-1, address: "78330011223344" }
  - deviceId: em-0001         # DL/T 645 meter behind a transparent serial server
    profile: electricity-meter
    district: gulou
    field: { transport: dlt645, host: 10.20.0.6, port: 8899, address: "123456789012" }
  - deviceId: env-0001        # HJ 212 station; it connects to fieldProtocols.hj212
    profile: environmental-station
    district: gulou
    field: { transport: hj212, mn: ZMD0001ENV, password: "123456" }
  - deviceId: wm-lora-0002    # LoRaWAN OTAA (joins; the session survives restarts); class C: valve commands go out at once
    profile: water-meter
    district: gulou
    lora:
      devEui: 0004A30B001C0530
      joinEui: 70B3D57ED0000001   # AppEUI in LoRaWAN 1.0.0-1.0.3
      appKey: 2B7E151628AED2A6ABF7158809CF4F3C
      class: C
`;
