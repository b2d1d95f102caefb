/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const tianzhong = $root.tianzhong = (() => {

    /**
     * Namespace tianzhong.
     * @exports tianzhong
     * @namespace
     */
    const tianzhong = {};

    tianzhong.v1 = (function() {

        /**
         * Namespace v1.
         * @memberof tianzhong
         * @namespace
         */
        const v1 = {};

        v1.GatewayConfig = (function() {

            /**
             * Properties of a GatewayConfig.
             * @memberof tianzhong.v1
             * @interface IGatewayConfig
             * @property {string|null} [gatewayId] GatewayConfig gatewayId
             * @property {number|null} [version] GatewayConfig version
             * @property {string|null} [contentHash] GatewayConfig contentHash
             * @property {number|null} [issuedAtMs] GatewayConfig issuedAtMs
             * @property {Array.<tianzhong.v1.IConfigDevice>|null} [devices] GatewayConfig devices
             * @property {number|null} [pollIntervalMs] GatewayConfig pollIntervalMs
             * @property {Object.<string,number>|null} [deadbands] GatewayConfig deadbands
             * @property {string|null} [reason] GatewayConfig reason
             */

            /**
             * Constructs a new GatewayConfig.
             * @memberof tianzhong.v1
             * @classdesc Represents a GatewayConfig.
             * @implements IGatewayConfig
             * @constructor
             * @param {tianzhong.v1.IGatewayConfig=} [p] Properties to set
             */
            function GatewayConfig(p) {
                this.devices = [];
                this.deadbands = {};
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * GatewayConfig gatewayId.
             * @member {string} gatewayId
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             */
            GatewayConfig.prototype.gatewayId = "";

            /**
             * GatewayConfig version.
             * @member {number} version
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             */
            GatewayConfig.prototype.version = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayConfig contentHash.
             * @member {string} contentHash
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             */
            GatewayConfig.prototype.contentHash = "";

            /**
             * GatewayConfig issuedAtMs.
             * @member {number} issuedAtMs
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             */
            GatewayConfig.prototype.issuedAtMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * GatewayConfig devices.
             * @member {Array.<tianzhong.v1.IConfigDevice>} devices
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             */
            GatewayConfig.prototype.devices = $util.emptyArray;

            /**
             * GatewayConfig pollIntervalMs.
             * @member {number} pollIntervalMs
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             */
            GatewayConfig.prototype.pollIntervalMs = 0;

            /**
             * GatewayConfig deadbands.
             * @member {Object.<string,number>} deadbands
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             */
            GatewayConfig.prototype.deadbands = $util.emptyObject;

            /**
             * GatewayConfig reason.
             * @member {string} reason
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             */
            GatewayConfig.prototype.reason = "";

            /**
             * Creates a new GatewayConfig instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.GatewayConfig
             * @static
             * @param {tianzhong.v1.IGatewayConfig=} [properties] Properties to set
             * @returns {tianzhong.v1.GatewayConfig} GatewayConfig instance
             */
            GatewayConfig.create = function create(properties) {
                return new GatewayConfig(properties);
            };

            /**
             * Encodes the specified GatewayConfig message. Does not implicitly {@link tianzhong.v1.GatewayConfig.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.GatewayConfig
             * @static
             * @param {tianzhong.v1.IGatewayConfig} m GatewayConfig message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            GatewayConfig.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId"))
                    w.uint32(10).string(m.gatewayId);
                if (m.version != null && Object.hasOwnProperty.call(m, "version"))
                    w.uint32(16).uint64(m.version);
                if (m.contentHash != null && Object.hasOwnProperty.call(m, "contentHash"))
                    w.uint32(26).string(m.contentHash);
                if (m.issuedAtMs != null && Object.hasOwnProperty.call(m, "issuedAtMs"))
                    w.uint32(32).int64(m.issuedAtMs);
                if (m.devices != null && m.devices.length) {
                    for (var i = 0; i < m.devices.length; ++i)
                        $root.tianzhong.v1.ConfigDevice.encode(m.devices[i], w.uint32(42).fork(), q + 1).ldelim();
                }
                if (m.pollIntervalMs != null && Object.hasOwnProperty.call(m, "pollIntervalMs"))
                    w.uint32(48).uint32(m.pollIntervalMs);
                if (m.deadbands != null && Object.hasOwnProperty.call(m, "deadbands")) {
                    for (var ks = Object.keys(m.deadbands), i = 0; i < ks.length; ++i) {
                        w.uint32(58).fork().uint32(10).string(ks[i]).uint32(17).double(m.deadbands[ks[i]]).ldelim();
                    }
                }
                if (m.reason != null && Object.hasOwnProperty.call(m, "reason"))
                    w.uint32(66).string(m.reason);
                return w;
            };

            /**
             * Decodes a GatewayConfig message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.GatewayConfig
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.GatewayConfig} GatewayConfig
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            GatewayConfig.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m, k, value;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.GatewayConfig();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.gatewayId = r.string();
                            break;
                        }
                    case 2: {
                            m.version = r.uint64();
                            break;
                        }
                    case 3: {
                            m.contentHash = r.string();
                            break;
                        }
                    case 4: {
                            m.issuedAtMs = r.int64();
                            break;
                        }
                    case 5: {
                            if (!(m.devices && m.devices.length))
                                m.devices = [];
                            m.devices.push($root.tianzhong.v1.ConfigDevice.decode(r, r.uint32(), undefined, n + 1));
                            break;
                        }
                    case 6: {
                            m.pollIntervalMs = r.uint32();
                            break;
                        }
                    case 7: {
                            if (m.deadbands === $util.emptyObject)
                                m.deadbands = {};
                            var c2 = r.uint32() + r.pos;
                            if (c2 > r.len)
                                throw RangeError("index out of range");
                            r.len = c2;
                            k = "";
                            value = 0;
                            while (r.pos < c2) {
                                var tag2 = r.uint32();
                                switch (tag2 >>> 3) {
                                case 1:
                                    k = r.string();
                                    break;
                                case 2:
                                    value = r.double();
                                    break;
                                default:
                                    r.skipType(tag2 & 7, n);
                                    break;
                                }
                            }
                            if (r.pos !== c2)
                                throw RangeError("index out of range");
                            r.len = c;
                            if (k === "__proto__")
                                $util.makeProp(m.deadbands, k);
                            m.deadbands[k] = value;
                            break;
                        }
                    case 8: {
                            m.reason = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a GatewayConfig message.
             * @function verify
             * @memberof tianzhong.v1.GatewayConfig
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            GatewayConfig.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId")) {
                    if (!$util.isString(m.gatewayId))
                        return "gatewayId: string expected";
                }
                if (m.version != null && Object.hasOwnProperty.call(m, "version")) {
                    if (!$util.isInteger(m.version) && !(m.version && $util.isInteger(m.version.low) && $util.isInteger(m.version.high)))
                        return "version: integer|Long expected";
                }
                if (m.contentHash != null && Object.hasOwnProperty.call(m, "contentHash")) {
                    if (!$util.isString(m.contentHash))
                        return "contentHash: string expected";
                }
                if (m.issuedAtMs != null && Object.hasOwnProperty.call(m, "issuedAtMs")) {
                    if (!$util.isInteger(m.issuedAtMs) && !(m.issuedAtMs && $util.isInteger(m.issuedAtMs.low) && $util.isInteger(m.issuedAtMs.high)))
                        return "issuedAtMs: integer|Long expected";
                }
                if (m.devices != null && Object.hasOwnProperty.call(m, "devices")) {
                    if (!Array.isArray(m.devices))
                        return "devices: array expected";
                    for (var i = 0; i < m.devices.length; ++i) {
                        {
                            var e = $root.tianzhong.v1.ConfigDevice.verify(m.devices[i], n + 1);
                            if (e)
                                return "devices." + e;
                        }
                    }
                }
                if (m.pollIntervalMs != null && Object.hasOwnProperty.call(m, "pollIntervalMs")) {
                    if (!$util.isInteger(m.pollIntervalMs))
                        return "pollIntervalMs: integer expected";
                }
                if (m.deadbands != null && Object.hasOwnProperty.call(m, "deadbands")) {
                    if (!$util.isObject(m.deadbands))
                        return "deadbands: object expected";
                    var k = Object.keys(m.deadbands);
                    for (var i = 0; i < k.length; ++i) {
                        if (typeof m.deadbands[k[i]] !== "number")
                            return "deadbands: number{k:string} expected";
                    }
                }
                if (m.reason != null && Object.hasOwnProperty.call(m, "reason")) {
                    if (!$util.isString(m.reason))
                        return "reason: string expected";
                }
                return null;
            };

            /**
             * Creates a GatewayConfig message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.GatewayConfig
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.GatewayConfig} GatewayConfig
             */
            GatewayConfig.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.GatewayConfig)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.GatewayConfig: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.GatewayConfig();
                if (d.gatewayId != null) {
                    m.gatewayId = String(d.gatewayId);
                }
                if (d.version != null) {
                    if ($util.Long)
                        m.version = $util.Long.fromValue(d.version, true);
                    else if (typeof d.version === "string")
                        m.version = parseInt(d.version, 10);
                    else if (typeof d.version === "number")
                        m.version = d.version;
                    else if (typeof d.version === "object")
                        m.version = new $util.LongBits(d.version.low >>> 0, d.version.high >>> 0).toNumber(true);
                }
                if (d.contentHash != null) {
                    m.contentHash = String(d.contentHash);
                }
                if (d.issuedAtMs != null) {
                    if ($util.Long)
                        m.issuedAtMs = $util.Long.fromValue(d.issuedAtMs, false);
                    else if (typeof d.issuedAtMs === "string")
                        m.issuedAtMs = parseInt(d.issuedAtMs, 10);
                    else if (typeof d.issuedAtMs === "number")
                        m.issuedAtMs = d.issuedAtMs;
                    else if (typeof d.issuedAtMs === "object")
                        m.issuedAtMs = new $util.LongBits(d.issuedAtMs.low >>> 0, d.issuedAtMs.high >>> 0).toNumber();
                }
                if (d.devices) {
                    if (!Array.isArray(d.devices))
                        throw TypeError(".tianzhong.v1.GatewayConfig.devices: array expected");
                    m.devices = [];
                    for (var i = 0; i < d.devices.length; ++i) {
                        if (!$util.isObject(d.devices[i]))
                            throw TypeError(".tianzhong.v1.GatewayConfig.devices: object expected");
                        m.devices[i] = $root.tianzhong.v1.ConfigDevice.fromObject(d.devices[i], n + 1);
                    }
                }
                if (d.pollIntervalMs != null) {
                    m.pollIntervalMs = d.pollIntervalMs >>> 0;
                }
                if (d.deadbands) {
                    if (!$util.isObject(d.deadbands))
                        throw TypeError(".tianzhong.v1.GatewayConfig.deadbands: object expected");
                    m.deadbands = {};
                    for (var ks = Object.keys(d.deadbands), i = 0; i < ks.length; ++i) {
                        if (ks[i] === "__proto__")
                            $util.makeProp(m.deadbands, ks[i]);
                        m.deadbands[ks[i]] = Number(d.deadbands[ks[i]]);
                    }
                }
                if (d.reason != null) {
                    m.reason = String(d.reason);
                }
                return m;
            };

            /**
             * Creates a plain object from a GatewayConfig message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.GatewayConfig
             * @static
             * @param {tianzhong.v1.GatewayConfig} m GatewayConfig
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            GatewayConfig.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.arrays || o.defaults) {
                    d.devices = [];
                }
                if (o.objects || o.defaults) {
                    d.deadbands = {};
                }
                if (o.defaults) {
                    d.gatewayId = "";
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.version = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.version = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    d.contentHash = "";
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.issuedAtMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.issuedAtMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    d.pollIntervalMs = 0;
                    d.reason = "";
                }
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId")) {
                    d.gatewayId = m.gatewayId;
                }
                if (m.version != null && Object.hasOwnProperty.call(m, "version")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.version = typeof m.version === "number" ? BigInt(m.version) : $util.Long.fromBits(m.version.low >>> 0, m.version.high >>> 0, true).toBigInt();
                    else if (typeof m.version === "number")
                        d.version = o.longs === String ? String(m.version) : m.version;
                    else
                        d.version = o.longs === String ? $util.Long.prototype.toString.call(m.version) : o.longs === Number ? new $util.LongBits(m.version.low >>> 0, m.version.high >>> 0).toNumber(true) : m.version;
                }
                if (m.contentHash != null && Object.hasOwnProperty.call(m, "contentHash")) {
                    d.contentHash = m.contentHash;
                }
                if (m.issuedAtMs != null && Object.hasOwnProperty.call(m, "issuedAtMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.issuedAtMs = typeof m.issuedAtMs === "number" ? BigInt(m.issuedAtMs) : $util.Long.fromBits(m.issuedAtMs.low >>> 0, m.issuedAtMs.high >>> 0, false).toBigInt();
                    else if (typeof m.issuedAtMs === "number")
                        d.issuedAtMs = o.longs === String ? String(m.issuedAtMs) : m.issuedAtMs;
                    else
                        d.issuedAtMs = o.longs === String ? $util.Long.prototype.toString.call(m.issuedAtMs) : o.longs === Number ? new $util.LongBits(m.issuedAtMs.low >>> 0, m.issuedAtMs.high >>> 0).toNumber() : m.issuedAtMs;
                }
                if (m.devices && m.devices.length) {
                    d.devices = [];
                    for (var j = 0; j < m.devices.length; ++j) {
                        d.devices[j] = $root.tianzhong.v1.ConfigDevice.toObject(m.devices[j], o, q + 1);
                    }
                }
                if (m.pollIntervalMs != null && Object.hasOwnProperty.call(m, "pollIntervalMs")) {
                    d.pollIntervalMs = m.pollIntervalMs;
                }
                var ks2;
                if (m.deadbands && (ks2 = Object.keys(m.deadbands)).length) {
                    d.deadbands = {};
                    for (var j = 0; j < ks2.length; ++j) {
                        if (ks2[j] === "__proto__")
                            $util.makeProp(d.deadbands, ks2[j]);
                        d.deadbands[ks2[j]] = o.json && !isFinite(m.deadbands[ks2[j]]) ? String(m.deadbands[ks2[j]]) : m.deadbands[ks2[j]];
                    }
                }
                if (m.reason != null && Object.hasOwnProperty.call(m, "reason")) {
                    d.reason = m.reason;
                }
                return d;
            };

            /**
             * Converts this GatewayConfig to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.GatewayConfig
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            GatewayConfig.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for GatewayConfig
             * @function getTypeUrl
             * @memberof tianzhong.v1.GatewayConfig
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            GatewayConfig.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.GatewayConfig";
            };

            return GatewayConfig;
        })();

        v1.ConfigDevice = (function() {

            /**
             * Properties of a ConfigDevice.
             * @memberof tianzhong.v1
             * @interface IConfigDevice
             * @property {string|null} [deviceId] ConfigDevice deviceId
             * @property {string|null} [profile] ConfigDevice profile
             * @property {string|null} [district] ConfigDevice district
             * @property {tianzhong.v1.IModbusTcpAddress|null} [modbusTcp] ConfigDevice modbusTcp
             * @property {tianzhong.v1.IModbusRtuAddress|null} [modbusRtu] ConfigDevice modbusRtu
             * @property {tianzhong.v1.ILoraAbpAddress|null} [lora] ConfigDevice lora
             * @property {tianzhong.v1.IFieldMeterAddress|null} [fieldMeter] ConfigDevice fieldMeter
             * @property {number|null} [pollIntervalMs] ConfigDevice pollIntervalMs
             * @property {Object.<string,number>|null} [deadbands] ConfigDevice deadbands
             * @property {number|null} [maxIntervalS] ConfigDevice maxIntervalS
             */

            /**
             * Constructs a new ConfigDevice.
             * @memberof tianzhong.v1
             * @classdesc Represents a ConfigDevice.
             * @implements IConfigDevice
             * @constructor
             * @param {tianzhong.v1.IConfigDevice=} [p] Properties to set
             */
            function ConfigDevice(p) {
                this.deadbands = {};
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * ConfigDevice deviceId.
             * @member {string} deviceId
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.deviceId = "";

            /**
             * ConfigDevice profile.
             * @member {string} profile
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.profile = "";

            /**
             * ConfigDevice district.
             * @member {string} district
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.district = "";

            /**
             * ConfigDevice modbusTcp.
             * @member {tianzhong.v1.IModbusTcpAddress|null|undefined} modbusTcp
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.modbusTcp = null;

            /**
             * ConfigDevice modbusRtu.
             * @member {tianzhong.v1.IModbusRtuAddress|null|undefined} modbusRtu
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.modbusRtu = null;

            /**
             * ConfigDevice lora.
             * @member {tianzhong.v1.ILoraAbpAddress|null|undefined} lora
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.lora = null;

            /**
             * ConfigDevice fieldMeter.
             * @member {tianzhong.v1.IFieldMeterAddress|null|undefined} fieldMeter
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.fieldMeter = null;

            /**
             * ConfigDevice pollIntervalMs.
             * @member {number} pollIntervalMs
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.pollIntervalMs = 0;

            /**
             * ConfigDevice deadbands.
             * @member {Object.<string,number>} deadbands
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.deadbands = $util.emptyObject;

            /**
             * ConfigDevice maxIntervalS.
             * @member {number} maxIntervalS
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            ConfigDevice.prototype.maxIntervalS = 0;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            /**
             * ConfigDevice transport.
             * @member {"modbusTcp"|"modbusRtu"|"lora"|"fieldMeter"|undefined} transport
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             */
            Object.defineProperty(ConfigDevice.prototype, "transport", {
                get: $util.oneOfGetter($oneOfFields = ["modbusTcp", "modbusRtu", "lora", "fieldMeter"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new ConfigDevice instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.ConfigDevice
             * @static
             * @param {tianzhong.v1.IConfigDevice=} [properties] Properties to set
             * @returns {tianzhong.v1.ConfigDevice} ConfigDevice instance
             */
            ConfigDevice.create = function create(properties) {
                return new ConfigDevice(properties);
            };

            /**
             * Encodes the specified ConfigDevice message. Does not implicitly {@link tianzhong.v1.ConfigDevice.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.ConfigDevice
             * @static
             * @param {tianzhong.v1.IConfigDevice} m ConfigDevice message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ConfigDevice.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId"))
                    w.uint32(10).string(m.deviceId);
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile"))
                    w.uint32(18).string(m.profile);
                if (m.district != null && Object.hasOwnProperty.call(m, "district"))
                    w.uint32(26).string(m.district);
                if (m.modbusTcp != null && Object.hasOwnProperty.call(m, "modbusTcp"))
                    $root.tianzhong.v1.ModbusTcpAddress.encode(m.modbusTcp, w.uint32(34).fork(), q + 1).ldelim();
                if (m.modbusRtu != null && Object.hasOwnProperty.call(m, "modbusRtu"))
                    $root.tianzhong.v1.ModbusRtuAddress.encode(m.modbusRtu, w.uint32(42).fork(), q + 1).ldelim();
                if (m.lora != null && Object.hasOwnProperty.call(m, "lora"))
                    $root.tianzhong.v1.LoraAbpAddress.encode(m.lora, w.uint32(50).fork(), q + 1).ldelim();
                if (m.pollIntervalMs != null && Object.hasOwnProperty.call(m, "pollIntervalMs"))
                    w.uint32(56).uint32(m.pollIntervalMs);
                if (m.deadbands != null && Object.hasOwnProperty.call(m, "deadbands")) {
                    for (var ks = Object.keys(m.deadbands), i = 0; i < ks.length; ++i) {
                        w.uint32(66).fork().uint32(10).string(ks[i]).uint32(17).double(m.deadbands[ks[i]]).ldelim();
                    }
                }
                if (m.maxIntervalS != null && Object.hasOwnProperty.call(m, "maxIntervalS"))
                    w.uint32(72).uint32(m.maxIntervalS);
                if (m.fieldMeter != null && Object.hasOwnProperty.call(m, "fieldMeter"))
                    $root.tianzhong.v1.FieldMeterAddress.encode(m.fieldMeter, w.uint32(82).fork(), q + 1).ldelim();
                return w;
            };

            /**
             * Decodes a ConfigDevice message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.ConfigDevice
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.ConfigDevice} ConfigDevice
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ConfigDevice.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m, k, value;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.ConfigDevice();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.deviceId = r.string();
                            break;
                        }
                    case 2: {
                            m.profile = r.string();
                            break;
                        }
                    case 3: {
                            m.district = r.string();
                            break;
                        }
                    case 4: {
                            m.modbusTcp = $root.tianzhong.v1.ModbusTcpAddress.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 5: {
                            m.modbusRtu = $root.tianzhong.v1.ModbusRtuAddress.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 6: {
                            m.lora = $root.tianzhong.v1.LoraAbpAddress.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 10: {
                            m.fieldMeter = $root.tianzhong.v1.FieldMeterAddress.decode(r, r.uint32(), undefined, n + 1);
                            break;
                        }
                    case 7: {
                            m.pollIntervalMs = r.uint32();
                            break;
                        }
                    case 8: {
                            if (m.deadbands === $util.emptyObject)
                                m.deadbands = {};
                            var c2 = r.uint32() + r.pos;
                            if (c2 > r.len)
                                throw RangeError("index out of range");
                            r.len = c2;
                            k = "";
                            value = 0;
                            while (r.pos < c2) {
                                var tag2 = r.uint32();
                                switch (tag2 >>> 3) {
                                case 1:
                                    k = r.string();
                                    break;
                                case 2:
                                    value = r.double();
                                    break;
                                default:
                                    r.skipType(tag2 & 7, n);
                                    break;
                                }
                            }
                            if (r.pos !== c2)
                                throw RangeError("index out of range");
                            r.len = c;
                            if (k === "__proto__")
                                $util.makeProp(m.deadbands, k);
                            m.deadbands[k] = value;
                            break;
                        }
                    case 9: {
                            m.maxIntervalS = r.uint32();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a ConfigDevice message.
             * @function verify
             * @memberof tianzhong.v1.ConfigDevice
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            ConfigDevice.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                var p = {};
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    if (!$util.isString(m.deviceId))
                        return "deviceId: string expected";
                }
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile")) {
                    if (!$util.isString(m.profile))
                        return "profile: string expected";
                }
                if (m.district != null && Object.hasOwnProperty.call(m, "district")) {
                    if (!$util.isString(m.district))
                        return "district: string expected";
                }
                if (m.modbusTcp != null && Object.hasOwnProperty.call(m, "modbusTcp")) {
                    p.transport = 1;
                    {
                        var e = $root.tianzhong.v1.ModbusTcpAddress.verify(m.modbusTcp, n + 1);
                        if (e)
                            return "modbusTcp." + e;
                    }
                }
                if (m.modbusRtu != null && Object.hasOwnProperty.call(m, "modbusRtu")) {
                    if (p.transport === 1)
                        return "transport: multiple values";
                    p.transport = 1;
                    {
                        var e = $root.tianzhong.v1.ModbusRtuAddress.verify(m.modbusRtu, n + 1);
                        if (e)
                            return "modbusRtu." + e;
                    }
                }
                if (m.lora != null && Object.hasOwnProperty.call(m, "lora")) {
                    if (p.transport === 1)
                        return "transport: multiple values";
                    p.transport = 1;
                    {
                        var e = $root.tianzhong.v1.LoraAbpAddress.verify(m.lora, n + 1);
                        if (e)
                            return "lora." + e;
                    }
                }
                if (m.fieldMeter != null && Object.hasOwnProperty.call(m, "fieldMeter")) {
                    if (p.transport === 1)
                        return "transport: multiple values";
                    p.transport = 1;
                    {
                        var e = $root.tianzhong.v1.FieldMeterAddress.verify(m.fieldMeter, n + 1);
                        if (e)
                            return "fieldMeter." + e;
                    }
                }
                if (m.pollIntervalMs != null && Object.hasOwnProperty.call(m, "pollIntervalMs")) {
                    if (!$util.isInteger(m.pollIntervalMs))
                        return "pollIntervalMs: integer expected";
                }
                if (m.deadbands != null && Object.hasOwnProperty.call(m, "deadbands")) {
                    if (!$util.isObject(m.deadbands))
                        return "deadbands: object expected";
                    var k = Object.keys(m.deadbands);
                    for (var i = 0; i < k.length; ++i) {
                        if (typeof m.deadbands[k[i]] !== "number")
                            return "deadbands: number{k:string} expected";
                    }
                }
                if (m.maxIntervalS != null && Object.hasOwnProperty.call(m, "maxIntervalS")) {
                    if (!$util.isInteger(m.maxIntervalS))
                        return "maxIntervalS: integer expected";
                }
                return null;
            };

            /**
             * Creates a ConfigDevice message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.ConfigDevice
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.ConfigDevice} ConfigDevice
             */
            ConfigDevice.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.ConfigDevice)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.ConfigDevice: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.ConfigDevice();
                if (d.deviceId != null) {
                    m.deviceId = String(d.deviceId);
                }
                if (d.profile != null) {
                    m.profile = String(d.profile);
                }
                if (d.district != null) {
                    m.district = String(d.district);
                }
                if (d.modbusTcp != null) {
                    if (!$util.isObject(d.modbusTcp))
                        throw TypeError(".tianzhong.v1.ConfigDevice.modbusTcp: object expected");
                    m.modbusTcp = $root.tianzhong.v1.ModbusTcpAddress.fromObject(d.modbusTcp, n + 1);
                }
                if (d.modbusRtu != null) {
                    if (!$util.isObject(d.modbusRtu))
                        throw TypeError(".tianzhong.v1.ConfigDevice.modbusRtu: object expected");
                    m.modbusRtu = $root.tianzhong.v1.ModbusRtuAddress.fromObject(d.modbusRtu, n + 1);
                }
                if (d.lora != null) {
                    if (!$util.isObject(d.lora))
                        throw TypeError(".tianzhong.v1.ConfigDevice.lora: object expected");
                    m.lora = $root.tianzhong.v1.LoraAbpAddress.fromObject(d.lora, n + 1);
                }
                if (d.fieldMeter != null) {
                    if (!$util.isObject(d.fieldMeter))
                        throw TypeError(".tianzhong.v1.ConfigDevice.fieldMeter: object expected");
                    m.fieldMeter = $root.tianzhong.v1.FieldMeterAddress.fromObject(d.fieldMeter, n + 1);
                }
                if (d.pollIntervalMs != null) {
                    m.pollIntervalMs = d.pollIntervalMs >>> 0;
                }
                if (d.deadbands) {
                    if (!$util.isObject(d.deadbands))
                        throw TypeError(".tianzhong.v1.ConfigDevice.deadbands: object expected");
                    m.deadbands = {};
                    for (var ks = Object.keys(d.deadbands), i = 0; i < ks.length; ++i) {
                        if (ks[i] === "__proto__")
                            $util.makeProp(m.deadbands, ks[i]);
                        m.deadbands[ks[i]] = Number(d.deadbands[ks[i]]);
                    }
                }
                if (d.maxIntervalS != null) {
                    m.maxIntervalS = d.maxIntervalS >>> 0;
                }
                return m;
            };

            /**
             * Creates a plain object from a ConfigDevice message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.ConfigDevice
             * @static
             * @param {tianzhong.v1.ConfigDevice} m ConfigDevice
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            ConfigDevice.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.objects || o.defaults) {
                    d.deadbands = {};
                }
                if (o.defaults) {
                    d.deviceId = "";
                    d.profile = "";
                    d.district = "";
                    d.pollIntervalMs = 0;
                    d.maxIntervalS = 0;
                }
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    d.deviceId = m.deviceId;
                }
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile")) {
                    d.profile = m.profile;
                }
                if (m.district != null && Object.hasOwnProperty.call(m, "district")) {
                    d.district = m.district;
                }
                if (m.modbusTcp != null && Object.hasOwnProperty.call(m, "modbusTcp")) {
                    d.modbusTcp = $root.tianzhong.v1.ModbusTcpAddress.toObject(m.modbusTcp, o, q + 1);
                    if (o.oneofs)
                        d.transport = "modbusTcp";
                }
                if (m.modbusRtu != null && Object.hasOwnProperty.call(m, "modbusRtu")) {
                    d.modbusRtu = $root.tianzhong.v1.ModbusRtuAddress.toObject(m.modbusRtu, o, q + 1);
                    if (o.oneofs)
                        d.transport = "modbusRtu";
                }
                if (m.lora != null && Object.hasOwnProperty.call(m, "lora")) {
                    d.lora = $root.tianzhong.v1.LoraAbpAddress.toObject(m.lora, o, q + 1);
                    if (o.oneofs)
                        d.transport = "lora";
                }
                if (m.pollIntervalMs != null && Object.hasOwnProperty.call(m, "pollIntervalMs")) {
                    d.pollIntervalMs = m.pollIntervalMs;
                }
                var ks2;
                if (m.deadbands && (ks2 = Object.keys(m.deadbands)).length) {
                    d.deadbands = {};
                    for (var j = 0; j < ks2.length; ++j) {
                        if (ks2[j] === "__proto__")
                            $util.makeProp(d.deadbands, ks2[j]);
                        d.deadbands[ks2[j]] = o.json && !isFinite(m.deadbands[ks2[j]]) ? String(m.deadbands[ks2[j]]) : m.deadbands[ks2[j]];
                    }
                }
                if (m.maxIntervalS != null && Object.hasOwnProperty.call(m, "maxIntervalS")) {
                    d.maxIntervalS = m.maxIntervalS;
                }
                if (m.fieldMeter != null && Object.hasOwnProperty.call(m, "fieldMeter")) {
                    d.fieldMeter = $root.tianzhong.v1.FieldMeterAddress.toObject(m.fieldMeter, o, q + 1);
                    if (o.oneofs)
                        d.transport = "fieldMeter";
                }
                return d;
            };

            /**
             * Converts this ConfigDevice to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.ConfigDevice
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            ConfigDevice.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for ConfigDevice
             * @function getTypeUrl
             * @memberof tianzhong.v1.ConfigDevice
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            ConfigDevice.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.ConfigDevice";
            };

            return ConfigDevice;
        })();

        v1.ModbusTcpAddress = (function() {

            /**
             * Properties of a ModbusTcpAddress.
             * @memberof tianzhong.v1
             * @interface IModbusTcpAddress
             * @property {string|null} [host] ModbusTcpAddress host
             * @property {number|null} [port] ModbusTcpAddress port
             * @property {number|null} [unitId] ModbusTcpAddress unitId
             */

            /**
             * Constructs a new ModbusTcpAddress.
             * @memberof tianzhong.v1
             * @classdesc Represents a ModbusTcpAddress.
             * @implements IModbusTcpAddress
             * @constructor
             * @param {tianzhong.v1.IModbusTcpAddress=} [p] Properties to set
             */
            function ModbusTcpAddress(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * ModbusTcpAddress host.
             * @member {string} host
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @instance
             */
            ModbusTcpAddress.prototype.host = "";

            /**
             * ModbusTcpAddress port.
             * @member {number} port
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @instance
             */
            ModbusTcpAddress.prototype.port = 0;

            /**
             * ModbusTcpAddress unitId.
             * @member {number} unitId
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @instance
             */
            ModbusTcpAddress.prototype.unitId = 0;

            /**
             * Creates a new ModbusTcpAddress instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @static
             * @param {tianzhong.v1.IModbusTcpAddress=} [properties] Properties to set
             * @returns {tianzhong.v1.ModbusTcpAddress} ModbusTcpAddress instance
             */
            ModbusTcpAddress.create = function create(properties) {
                return new ModbusTcpAddress(properties);
            };

            /**
             * Encodes the specified ModbusTcpAddress message. Does not implicitly {@link tianzhong.v1.ModbusTcpAddress.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @static
             * @param {tianzhong.v1.IModbusTcpAddress} m ModbusTcpAddress message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ModbusTcpAddress.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.host != null && Object.hasOwnProperty.call(m, "host"))
                    w.uint32(10).string(m.host);
                if (m.port != null && Object.hasOwnProperty.call(m, "port"))
                    w.uint32(16).uint32(m.port);
                if (m.unitId != null && Object.hasOwnProperty.call(m, "unitId"))
                    w.uint32(24).uint32(m.unitId);
                return w;
            };

            /**
             * Decodes a ModbusTcpAddress message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.ModbusTcpAddress} ModbusTcpAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ModbusTcpAddress.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.ModbusTcpAddress();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.host = r.string();
                            break;
                        }
                    case 2: {
                            m.port = r.uint32();
                            break;
                        }
                    case 3: {
                            m.unitId = r.uint32();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a ModbusTcpAddress message.
             * @function verify
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            ModbusTcpAddress.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.host != null && Object.hasOwnProperty.call(m, "host")) {
                    if (!$util.isString(m.host))
                        return "host: string expected";
                }
                if (m.port != null && Object.hasOwnProperty.call(m, "port")) {
                    if (!$util.isInteger(m.port))
                        return "port: integer expected";
                }
                if (m.unitId != null && Object.hasOwnProperty.call(m, "unitId")) {
                    if (!$util.isInteger(m.unitId))
                        return "unitId: integer expected";
                }
                return null;
            };

            /**
             * Creates a ModbusTcpAddress message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.ModbusTcpAddress} ModbusTcpAddress
             */
            ModbusTcpAddress.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.ModbusTcpAddress)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.ModbusTcpAddress: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.ModbusTcpAddress();
                if (d.host != null) {
                    m.host = String(d.host);
                }
                if (d.port != null) {
                    m.port = d.port >>> 0;
                }
                if (d.unitId != null) {
                    m.unitId = d.unitId >>> 0;
                }
                return m;
            };

            /**
             * Creates a plain object from a ModbusTcpAddress message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @static
             * @param {tianzhong.v1.ModbusTcpAddress} m ModbusTcpAddress
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            ModbusTcpAddress.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.host = "";
                    d.port = 0;
                    d.unitId = 0;
                }
                if (m.host != null && Object.hasOwnProperty.call(m, "host")) {
                    d.host = m.host;
                }
                if (m.port != null && Object.hasOwnProperty.call(m, "port")) {
                    d.port = m.port;
                }
                if (m.unitId != null && Object.hasOwnProperty.call(m, "unitId")) {
                    d.unitId = m.unitId;
                }
                return d;
            };

            /**
             * Converts this ModbusTcpAddress to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            ModbusTcpAddress.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for ModbusTcpAddress
             * @function getTypeUrl
             * @memberof tianzhong.v1.ModbusTcpAddress
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            ModbusTcpAddress.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.ModbusTcpAddress";
            };

            return ModbusTcpAddress;
        })();

        v1.ModbusRtuAddress = (function() {

            /**
             * Properties of a ModbusRtuAddress.
             * @memberof tianzhong.v1
             * @interface IModbusRtuAddress
             * @property {string|null} [line] ModbusRtuAddress line
             * @property {number|null} [unitId] ModbusRtuAddress unitId
             */

            /**
             * Constructs a new ModbusRtuAddress.
             * @memberof tianzhong.v1
             * @classdesc Represents a ModbusRtuAddress.
             * @implements IModbusRtuAddress
             * @constructor
             * @param {tianzhong.v1.IModbusRtuAddress=} [p] Properties to set
             */
            function ModbusRtuAddress(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * ModbusRtuAddress line.
             * @member {string} line
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @instance
             */
            ModbusRtuAddress.prototype.line = "";

            /**
             * ModbusRtuAddress unitId.
             * @member {number} unitId
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @instance
             */
            ModbusRtuAddress.prototype.unitId = 0;

            /**
             * Creates a new ModbusRtuAddress instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @static
             * @param {tianzhong.v1.IModbusRtuAddress=} [properties] Properties to set
             * @returns {tianzhong.v1.ModbusRtuAddress} ModbusRtuAddress instance
             */
            ModbusRtuAddress.create = function create(properties) {
                return new ModbusRtuAddress(properties);
            };

            /**
             * Encodes the specified ModbusRtuAddress message. Does not implicitly {@link tianzhong.v1.ModbusRtuAddress.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @static
             * @param {tianzhong.v1.IModbusRtuAddress} m ModbusRtuAddress message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            ModbusRtuAddress.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.line != null && Object.hasOwnProperty.call(m, "line"))
                    w.uint32(10).string(m.line);
                if (m.unitId != null && Object.hasOwnProperty.call(m, "unitId"))
                    w.uint32(16).uint32(m.unitId);
                return w;
            };

            /**
             * Decodes a ModbusRtuAddress message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.ModbusRtuAddress} ModbusRtuAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            ModbusRtuAddress.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.ModbusRtuAddress();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.line = r.string();
                            break;
                        }
                    case 2: {
                            m.unitId = r.uint32();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a ModbusRtuAddress message.
             * @function verify
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            ModbusRtuAddress.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.line != null && Object.hasOwnProperty.call(m, "line")) {
                    if (!$util.isString(m.line))
                        return "line: string expected";
                }
                if (m.unitId != null && Object.hasOwnProperty.call(m, "unitId")) {
                    if (!$util.isInteger(m.unitId))
                        return "unitId: integer expected";
                }
                return null;
            };

            /**
             * Creates a ModbusRtuAddress message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.ModbusRtuAddress} ModbusRtuAddress
             */
            ModbusRtuAddress.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.ModbusRtuAddress)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.ModbusRtuAddress: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.ModbusRtuAddress();
                if (d.line != null) {
                    m.line = String(d.line);
                }
                if (d.unitId != null) {
                    m.unitId = d.unitId >>> 0;
                }
                return m;
            };

            /**
             * Creates a plain object from a ModbusRtuAddress message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @static
             * @param {tianzhong.v1.ModbusRtuAddress} m ModbusRtuAddress
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            ModbusRtuAddress.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.line = "";
                    d.unitId = 0;
                }
                if (m.line != null && Object.hasOwnProperty.call(m, "line")) {
                    d.line = m.line;
                }
                if (m.unitId != null && Object.hasOwnProperty.call(m, "unitId")) {
                    d.unitId = m.unitId;
                }
                return d;
            };

            /**
             * Converts this ModbusRtuAddress to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            ModbusRtuAddress.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for ModbusRtuAddress
             * @function getTypeUrl
             * @memberof tianzhong.v1.ModbusRtuAddress
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            ModbusRtuAddress.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.ModbusRtuAddress";
            };

            return ModbusRtuAddress;
        })();

        v1.LoraAbpAddress = (function() {

            /**
             * Properties of a LoraAbpAddress.
             * @memberof tianzhong.v1
             * @interface ILoraAbpAddress
             * @property {string|null} [devEui] LoraAbpAddress devEui
             * @property {string|null} [devAddr] LoraAbpAddress devAddr
             * @property {string|null} [nwkSKey] LoraAbpAddress nwkSKey
             * @property {string|null} [appSKey] LoraAbpAddress appSKey
             */

            /**
             * Constructs a new LoraAbpAddress.
             * @memberof tianzhong.v1
             * @classdesc Represents a LoraAbpAddress.
             * @implements ILoraAbpAddress
             * @constructor
             * @param {tianzhong.v1.ILoraAbpAddress=} [p] Properties to set
             */
            function LoraAbpAddress(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * LoraAbpAddress devEui.
             * @member {string} devEui
             * @memberof tianzhong.v1.LoraAbpAddress
             * @instance
             */
            LoraAbpAddress.prototype.devEui = "";

            /**
             * LoraAbpAddress devAddr.
             * @member {string} devAddr
             * @memberof tianzhong.v1.LoraAbpAddress
             * @instance
             */
            LoraAbpAddress.prototype.devAddr = "";

            /**
             * LoraAbpAddress nwkSKey.
             * @member {string} nwkSKey
             * @memberof tianzhong.v1.LoraAbpAddress
             * @instance
             */
            LoraAbpAddress.prototype.nwkSKey = "";

            /**
             * LoraAbpAddress appSKey.
             * @member {string} appSKey
             * @memberof tianzhong.v1.LoraAbpAddress
             * @instance
             */
            LoraAbpAddress.prototype.appSKey = "";

            /**
             * Creates a new LoraAbpAddress instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.LoraAbpAddress
             * @static
             * @param {tianzhong.v1.ILoraAbpAddress=} [properties] Properties to set
             * @returns {tianzhong.v1.LoraAbpAddress} LoraAbpAddress instance
             */
            LoraAbpAddress.create = function create(properties) {
                return new LoraAbpAddress(properties);
            };

            /**
             * Encodes the specified LoraAbpAddress message. Does not implicitly {@link tianzhong.v1.LoraAbpAddress.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.LoraAbpAddress
             * @static
             * @param {tianzhong.v1.ILoraAbpAddress} m LoraAbpAddress message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            LoraAbpAddress.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.devEui != null && Object.hasOwnProperty.call(m, "devEui"))
                    w.uint32(10).string(m.devEui);
                if (m.devAddr != null && Object.hasOwnProperty.call(m, "devAddr"))
                    w.uint32(18).string(m.devAddr);
                if (m.nwkSKey != null && Object.hasOwnProperty.call(m, "nwkSKey"))
                    w.uint32(26).string(m.nwkSKey);
                if (m.appSKey != null && Object.hasOwnProperty.call(m, "appSKey"))
                    w.uint32(34).string(m.appSKey);
                return w;
            };

            /**
             * Decodes a LoraAbpAddress message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.LoraAbpAddress
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.LoraAbpAddress} LoraAbpAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            LoraAbpAddress.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.LoraAbpAddress();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.devEui = r.string();
                            break;
                        }
                    case 2: {
                            m.devAddr = r.string();
                            break;
                        }
                    case 3: {
                            m.nwkSKey = r.string();
                            break;
                        }
                    case 4: {
                            m.appSKey = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a LoraAbpAddress message.
             * @function verify
             * @memberof tianzhong.v1.LoraAbpAddress
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            LoraAbpAddress.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.devEui != null && Object.hasOwnProperty.call(m, "devEui")) {
                    if (!$util.isString(m.devEui))
                        return "devEui: string expected";
                }
                if (m.devAddr != null && Object.hasOwnProperty.call(m, "devAddr")) {
                    if (!$util.isString(m.devAddr))
                        return "devAddr: string expected";
                }
                if (m.nwkSKey != null && Object.hasOwnProperty.call(m, "nwkSKey")) {
                    if (!$util.isString(m.nwkSKey))
                        return "nwkSKey: string expected";
                }
                if (m.appSKey != null && Object.hasOwnProperty.call(m, "appSKey")) {
                    if (!$util.isString(m.appSKey))
                        return "appSKey: string expected";
                }
                return null;
            };

            /**
             * Creates a LoraAbpAddress message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.LoraAbpAddress
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.LoraAbpAddress} LoraAbpAddress
             */
            LoraAbpAddress.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.LoraAbpAddress)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.LoraAbpAddress: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.LoraAbpAddress();
                if (d.devEui != null) {
                    m.devEui = String(d.devEui);
                }
                if (d.devAddr != null) {
                    m.devAddr = String(d.devAddr);
                }
                if (d.nwkSKey != null) {
                    m.nwkSKey = String(d.nwkSKey);
                }
                if (d.appSKey != null) {
                    m.appSKey = String(d.appSKey);
                }
                return m;
            };

            /**
             * Creates a plain object from a LoraAbpAddress message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.LoraAbpAddress
             * @static
             * @param {tianzhong.v1.LoraAbpAddress} m LoraAbpAddress
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            LoraAbpAddress.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.devEui = "";
                    d.devAddr = "";
                    d.nwkSKey = "";
                    d.appSKey = "";
                }
                if (m.devEui != null && Object.hasOwnProperty.call(m, "devEui")) {
                    d.devEui = m.devEui;
                }
                if (m.devAddr != null && Object.hasOwnProperty.call(m, "devAddr")) {
                    d.devAddr = m.devAddr;
                }
                if (m.nwkSKey != null && Object.hasOwnProperty.call(m, "nwkSKey")) {
                    d.nwkSKey = m.nwkSKey;
                }
                if (m.appSKey != null && Object.hasOwnProperty.call(m, "appSKey")) {
                    d.appSKey = m.appSKey;
                }
                return d;
            };

            /**
             * Converts this LoraAbpAddress to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.LoraAbpAddress
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            LoraAbpAddress.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for LoraAbpAddress
             * @function getTypeUrl
             * @memberof tianzhong.v1.LoraAbpAddress
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            LoraAbpAddress.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.LoraAbpAddress";
            };

            return LoraAbpAddress;
        })();

        v1.FieldMeterAddress = (function() {

            /**
             * Properties of a FieldMeterAddress.
             * @memberof tianzhong.v1
             * @interface IFieldMeterAddress
             * @property {string|null} [protocol] FieldMeterAddress protocol
             * @property {string|null} [address] FieldMeterAddress address
             * @property {string|null} [line] FieldMeterAddress line
             * @property {string|null} [host] FieldMeterAddress host
             * @property {number|null} [port] FieldMeterAddress port
             */

            /**
             * Constructs a new FieldMeterAddress.
             * @memberof tianzhong.v1
             * @classdesc Represents a FieldMeterAddress.
             * @implements IFieldMeterAddress
             * @constructor
             * @param {tianzhong.v1.IFieldMeterAddress=} [p] Properties to set
             */
            function FieldMeterAddress(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * FieldMeterAddress protocol.
             * @member {string} protocol
             * @memberof tianzhong.v1.FieldMeterAddress
             * @instance
             */
            FieldMeterAddress.prototype.protocol = "";

            /**
             * FieldMeterAddress address.
             * @member {string} address
             * @memberof tianzhong.v1.FieldMeterAddress
             * @instance
             */
            FieldMeterAddress.prototype.address = "";

            /**
             * FieldMeterAddress line.
             * @member {string} line
             * @memberof tianzhong.v1.FieldMeterAddress
             * @instance
             */
            FieldMeterAddress.prototype.line = "";

            /**
             * FieldMeterAddress host.
             * @member {string} host
             * @memberof tianzhong.v1.FieldMeterAddress
             * @instance
             */
            FieldMeterAddress.prototype.host = "";

            /**
             * FieldMeterAddress port.
             * @member {number} port
             * @memberof tianzhong.v1.FieldMeterAddress
             * @instance
             */
            FieldMeterAddress.prototype.port = 0;

            /**
             * Creates a new FieldMeterAddress instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.FieldMeterAddress
             * @static
             * @param {tianzhong.v1.IFieldMeterAddress=} [properties] Properties to set
             * @returns {tianzhong.v1.FieldMeterAddress} FieldMeterAddress instance
             */
            FieldMeterAddress.create = function create(properties) {
                return new FieldMeterAddress(properties);
            };

            /**
             * Encodes the specified FieldMeterAddress message. Does not implicitly {@link tianzhong.v1.FieldMeterAddress.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.FieldMeterAddress
             * @static
             * @param {tianzhong.v1.IFieldMeterAddress} m FieldMeterAddress message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            FieldMeterAddress.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.protocol != null && Object.hasOwnProperty.call(m, "protocol"))
                    w.uint32(10).string(m.protocol);
                if (m.address != null && Object.hasOwnProperty.call(m, "address"))
                    w.uint32(18).string(m.address);
                if (m.line != null && Object.hasOwnProperty.call(m, "line"))
                    w.uint32(26).string(m.line);
                if (m.host != null && Object.hasOwnProperty.call(m, "host"))
                    w.uint32(34).string(m.host);
                if (m.port != null && Object.hasOwnProperty.call(m, "port"))
                    w.uint32(40).uint32(m.port);
                return w;
            };

            /**
             * Decodes a FieldMeterAddress message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.FieldMeterAddress
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.FieldMeterAddress} FieldMeterAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            FieldMeterAddress.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.FieldMeterAddress();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.protocol = r.string();
                            break;
                        }
                    case 2: {
                            m.address = r.string();
                            break;
                        }
                    case 3: {
                            m.line = r.string();
                            break;
                        }
                    case 4: {
                            m.host = r.string();
                            break;
                        }
                    case 5: {
                            m.port = r.uint32();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a FieldMeterAddress message.
             * @function verify
             * @memberof tianzhong.v1.FieldMeterAddress
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            FieldMeterAddress.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.protocol != null && Object.hasOwnProperty.call(m, "protocol")) {
                    if (!$util.isString(m.protocol))
                        return "protocol: string expected";
                }
                if (m.address != null && Object.hasOwnProperty.call(m, "address")) {
                    if (!$util.isString(m.address))
                        return "address: string expected";
                }
                if (m.line != null && Object.hasOwnProperty.call(m, "line")) {
                    if (!$util.isString(m.line))
                        return "line: string expected";
                }
                if (m.host != null && Object.hasOwnProperty.call(m, "host")) {
                    if (!$util.isString(m.host))
                        return "host: string expected";
                }
                if (m.port != null && Object.hasOwnProperty.call(m, "port")) {
                    if (!$util.isInteger(m.port))
                        return "port: integer expected";
                }
                return null;
            };

            /**
             * Creates a FieldMeterAddress message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.FieldMeterAddress
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.FieldMeterAddress} FieldMeterAddress
             */
            FieldMeterAddress.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.FieldMeterAddress)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.FieldMeterAddress: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.FieldMeterAddress();
                if (d.protocol != null) {
                    m.protocol = String(d.protocol);
                }
                if (d.address != null) {
                    m.address = String(d.address);
                }
                if (d.line != null) {
                    m.line = String(d.line);
                }
                if (d.host != null) {
                    m.host = String(d.host);
                }
                if (d.port != null) {
                    m.port = d.port >>> 0;
                }
                return m;
            };

            /**
             * Creates a plain object from a FieldMeterAddress message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.FieldMeterAddress
             * @static
             * @param {tianzhong.v1.FieldMeterAddress} m FieldMeterAddress
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            FieldMeterAddress.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.protocol = "";
                    d.address = "";
                    d.line = "";
                    d.host = "";
                    d.port = 0;
                }
                if (m.protocol != null && Object.hasOwnProperty.call(m, "protocol")) {
                    d.protocol = m.protocol;
                }
                if (m.address != null && Object.hasOwnProperty.call(m, "address")) {
                    d.address = m.address;
                }
                if (m.line != null && Object.hasOwnProperty.call(m, "line")) {
                    d.line = m.line;
                }
                if (m.host != null && Object.hasOwnProperty.call(m, "host")) {
                    d.host = m.host;
                }
                if (m.port != null && Object.hasOwnProperty.call(m, "port")) {
                    d.port = m.port;
                }
                return d;
            };

            /**
             * Converts this FieldMeterAddress to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.FieldMeterAddress
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            FieldMeterAddress.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for FieldMeterAddress
             * @function getTypeUrl
             * @memberof tianzhong.v1.FieldMeterAddress
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            FieldMeterAddress.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.FieldMeterAddress";
            };

            return FieldMeterAddress;
        })();

        /**
         * GatewayState enum.
         * @name tianzhong.v1.GatewayState
         * @enum {number}
         * @property {number} GATEWAY_STATE_UNKNOWN=0 GATEWAY_STATE_UNKNOWN value
         * @property {number} GATEWAY_STATE_ONLINE=1 GATEWAY_STATE_ONLINE value
         * @property {number} GATEWAY_STATE_OFFLINE=2 GATEWAY_STATE_OFFLINE value
         */
        v1.GatewayState = (function() {
            const valuesById = {}, values = Object.create(valuesById);
            values[valuesById[0] = "GATEWAY_STATE_UNKNOWN"] = 0;
            values[valuesById[1] = "GATEWAY_STATE_ONLINE"] = 1;
            values[valuesById[2] = "GATEWAY_STATE_OFFLINE"] = 2;
            return values;
        })();

        v1.GatewayStatus = (function() {

            /**
             * Properties of a GatewayStatus.
             * @memberof tianzhong.v1
             * @interface IGatewayStatus
             * @property {string|null} [gatewayId] GatewayStatus gatewayId
             * @property {tianzhong.v1.GatewayState|null} [state] GatewayStatus state
             * @property {number|null} [timestampMs] GatewayStatus timestampMs
             * @property {string|null} [version] GatewayStatus version
             * @property {number|null} [devicesTotal] GatewayStatus devicesTotal
             * @property {number|null} [devicesOnline] GatewayStatus devicesOnline
             * @property {number|null} [queueDepth] GatewayStatus queueDepth
             * @property {number|null} [oldestUnsentAgeS] GatewayStatus oldestUnsentAgeS
             * @property {number|null} [dropped] GatewayStatus dropped
             * @property {number|null} [pollErrors] GatewayStatus pollErrors
             * @property {number|null} [uptimeS] GatewayStatus uptimeS
             * @property {number|null} [queueBytes] GatewayStatus queueBytes
             * @property {number|null} [queueBatches] GatewayStatus queueBatches
             * @property {Array.<tianzhong.v1.IGatewayDeviceState>|null} [devices] GatewayStatus devices
             * @property {number|null} [loraFramesRejected] GatewayStatus loraFramesRejected
             * @property {number|null} [loraReplaysRejected] GatewayStatus loraReplaysRejected
             * @property {number|null} [commandsAnswered] GatewayStatus commandsAnswered
             * @property {number|null} [batchesReplayed] GatewayStatus batchesReplayed
             * @property {number|null} [configVersion] GatewayStatus configVersion
             * @property {number|null} [configRejectedVersion] GatewayStatus configRejectedVersion
             * @property {string|null} [configRejectedReason] GatewayStatus configRejectedReason
             */

            /**
             * Constructs a new GatewayStatus.
             * @memberof tianzhong.v1
             * @classdesc Represents a GatewayStatus.
             * @implements IGatewayStatus
             * @constructor
             * @param {tianzhong.v1.IGatewayStatus=} [p] Properties to set
             */
            function GatewayStatus(p) {
                this.devices = [];
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * GatewayStatus gatewayId.
             * @member {string} gatewayId
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.gatewayId = "";

            /**
             * GatewayStatus state.
             * @member {tianzhong.v1.GatewayState} state
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.state = 0;

            /**
             * GatewayStatus timestampMs.
             * @member {number} timestampMs
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.timestampMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * GatewayStatus version.
             * @member {string} version
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.version = "";

            /**
             * GatewayStatus devicesTotal.
             * @member {number} devicesTotal
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.devicesTotal = 0;

            /**
             * GatewayStatus devicesOnline.
             * @member {number} devicesOnline
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.devicesOnline = 0;

            /**
             * GatewayStatus queueDepth.
             * @member {number} queueDepth
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.queueDepth = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus oldestUnsentAgeS.
             * @member {number} oldestUnsentAgeS
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.oldestUnsentAgeS = 0;

            /**
             * GatewayStatus dropped.
             * @member {number} dropped
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.dropped = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus pollErrors.
             * @member {number} pollErrors
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.pollErrors = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus uptimeS.
             * @member {number} uptimeS
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.uptimeS = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus queueBytes.
             * @member {number} queueBytes
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.queueBytes = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus queueBatches.
             * @member {number} queueBatches
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.queueBatches = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus devices.
             * @member {Array.<tianzhong.v1.IGatewayDeviceState>} devices
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.devices = $util.emptyArray;

            /**
             * GatewayStatus loraFramesRejected.
             * @member {number} loraFramesRejected
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.loraFramesRejected = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus loraReplaysRejected.
             * @member {number} loraReplaysRejected
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.loraReplaysRejected = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus commandsAnswered.
             * @member {number} commandsAnswered
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.commandsAnswered = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus batchesReplayed.
             * @member {number} batchesReplayed
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.batchesReplayed = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus configVersion.
             * @member {number} configVersion
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.configVersion = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus configRejectedVersion.
             * @member {number} configRejectedVersion
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.configRejectedVersion = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayStatus configRejectedReason.
             * @member {string} configRejectedReason
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             */
            GatewayStatus.prototype.configRejectedReason = "";

            /**
             * Creates a new GatewayStatus instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.GatewayStatus
             * @static
             * @param {tianzhong.v1.IGatewayStatus=} [properties] Properties to set
             * @returns {tianzhong.v1.GatewayStatus} GatewayStatus instance
             */
            GatewayStatus.create = function create(properties) {
                return new GatewayStatus(properties);
            };

            /**
             * Encodes the specified GatewayStatus message. Does not implicitly {@link tianzhong.v1.GatewayStatus.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.GatewayStatus
             * @static
             * @param {tianzhong.v1.IGatewayStatus} m GatewayStatus message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            GatewayStatus.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId"))
                    w.uint32(10).string(m.gatewayId);
                if (m.state != null && Object.hasOwnProperty.call(m, "state"))
                    w.uint32(16).int32(m.state);
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs"))
                    w.uint32(24).int64(m.timestampMs);
                if (m.version != null && Object.hasOwnProperty.call(m, "version"))
                    w.uint32(34).string(m.version);
                if (m.devicesTotal != null && Object.hasOwnProperty.call(m, "devicesTotal"))
                    w.uint32(40).uint32(m.devicesTotal);
                if (m.devicesOnline != null && Object.hasOwnProperty.call(m, "devicesOnline"))
                    w.uint32(48).uint32(m.devicesOnline);
                if (m.queueDepth != null && Object.hasOwnProperty.call(m, "queueDepth"))
                    w.uint32(56).uint64(m.queueDepth);
                if (m.oldestUnsentAgeS != null && Object.hasOwnProperty.call(m, "oldestUnsentAgeS"))
                    w.uint32(64).uint32(m.oldestUnsentAgeS);
                if (m.dropped != null && Object.hasOwnProperty.call(m, "dropped"))
                    w.uint32(72).uint64(m.dropped);
                if (m.pollErrors != null && Object.hasOwnProperty.call(m, "pollErrors"))
                    w.uint32(80).uint64(m.pollErrors);
                if (m.uptimeS != null && Object.hasOwnProperty.call(m, "uptimeS"))
                    w.uint32(88).uint64(m.uptimeS);
                if (m.queueBytes != null && Object.hasOwnProperty.call(m, "queueBytes"))
                    w.uint32(96).uint64(m.queueBytes);
                if (m.queueBatches != null && Object.hasOwnProperty.call(m, "queueBatches"))
                    w.uint32(104).uint64(m.queueBatches);
                if (m.devices != null && m.devices.length) {
                    for (var i = 0; i < m.devices.length; ++i)
                        $root.tianzhong.v1.GatewayDeviceState.encode(m.devices[i], w.uint32(114).fork(), q + 1).ldelim();
                }
                if (m.loraFramesRejected != null && Object.hasOwnProperty.call(m, "loraFramesRejected"))
                    w.uint32(120).uint64(m.loraFramesRejected);
                if (m.loraReplaysRejected != null && Object.hasOwnProperty.call(m, "loraReplaysRejected"))
                    w.uint32(128).uint64(m.loraReplaysRejected);
                if (m.commandsAnswered != null && Object.hasOwnProperty.call(m, "commandsAnswered"))
                    w.uint32(136).uint64(m.commandsAnswered);
                if (m.batchesReplayed != null && Object.hasOwnProperty.call(m, "batchesReplayed"))
                    w.uint32(144).uint64(m.batchesReplayed);
                if (m.configVersion != null && Object.hasOwnProperty.call(m, "configVersion"))
                    w.uint32(152).uint64(m.configVersion);
                if (m.configRejectedVersion != null && Object.hasOwnProperty.call(m, "configRejectedVersion"))
                    w.uint32(160).uint64(m.configRejectedVersion);
                if (m.configRejectedReason != null && Object.hasOwnProperty.call(m, "configRejectedReason"))
                    w.uint32(170).string(m.configRejectedReason);
                return w;
            };

            /**
             * Decodes a GatewayStatus message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.GatewayStatus
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.GatewayStatus} GatewayStatus
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            GatewayStatus.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.GatewayStatus();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.gatewayId = r.string();
                            break;
                        }
                    case 2: {
                            m.state = r.int32();
                            break;
                        }
                    case 3: {
                            m.timestampMs = r.int64();
                            break;
                        }
                    case 4: {
                            m.version = r.string();
                            break;
                        }
                    case 5: {
                            m.devicesTotal = r.uint32();
                            break;
                        }
                    case 6: {
                            m.devicesOnline = r.uint32();
                            break;
                        }
                    case 7: {
                            m.queueDepth = r.uint64();
                            break;
                        }
                    case 8: {
                            m.oldestUnsentAgeS = r.uint32();
                            break;
                        }
                    case 9: {
                            m.dropped = r.uint64();
                            break;
                        }
                    case 10: {
                            m.pollErrors = r.uint64();
                            break;
                        }
                    case 11: {
                            m.uptimeS = r.uint64();
                            break;
                        }
                    case 12: {
                            m.queueBytes = r.uint64();
                            break;
                        }
                    case 13: {
                            m.queueBatches = r.uint64();
                            break;
                        }
                    case 14: {
                            if (!(m.devices && m.devices.length))
                                m.devices = [];
                            m.devices.push($root.tianzhong.v1.GatewayDeviceState.decode(r, r.uint32(), undefined, n + 1));
                            break;
                        }
                    case 15: {
                            m.loraFramesRejected = r.uint64();
                            break;
                        }
                    case 16: {
                            m.loraReplaysRejected = r.uint64();
                            break;
                        }
                    case 17: {
                            m.commandsAnswered = r.uint64();
                            break;
                        }
                    case 18: {
                            m.batchesReplayed = r.uint64();
                            break;
                        }
                    case 19: {
                            m.configVersion = r.uint64();
                            break;
                        }
                    case 20: {
                            m.configRejectedVersion = r.uint64();
                            break;
                        }
                    case 21: {
                            m.configRejectedReason = r.string();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a GatewayStatus message.
             * @function verify
             * @memberof tianzhong.v1.GatewayStatus
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            GatewayStatus.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId")) {
                    if (!$util.isString(m.gatewayId))
                        return "gatewayId: string expected";
                }
                if (m.state != null && Object.hasOwnProperty.call(m, "state")) {
                    switch (m.state) {
                    default:
                        return "state: enum value expected";
                    case 0:
                    case 1:
                    case 2:
                        break;
                    }
                }
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs")) {
                    if (!$util.isInteger(m.timestampMs) && !(m.timestampMs && $util.isInteger(m.timestampMs.low) && $util.isInteger(m.timestampMs.high)))
                        return "timestampMs: integer|Long expected";
                }
                if (m.version != null && Object.hasOwnProperty.call(m, "version")) {
                    if (!$util.isString(m.version))
                        return "version: string expected";
                }
                if (m.devicesTotal != null && Object.hasOwnProperty.call(m, "devicesTotal")) {
                    if (!$util.isInteger(m.devicesTotal))
                        return "devicesTotal: integer expected";
                }
                if (m.devicesOnline != null && Object.hasOwnProperty.call(m, "devicesOnline")) {
                    if (!$util.isInteger(m.devicesOnline))
                        return "devicesOnline: integer expected";
                }
                if (m.queueDepth != null && Object.hasOwnProperty.call(m, "queueDepth")) {
                    if (!$util.isInteger(m.queueDepth) && !(m.queueDepth && $util.isInteger(m.queueDepth.low) && $util.isInteger(m.queueDepth.high)))
                        return "queueDepth: integer|Long expected";
                }
                if (m.oldestUnsentAgeS != null && Object.hasOwnProperty.call(m, "oldestUnsentAgeS")) {
                    if (!$util.isInteger(m.oldestUnsentAgeS))
                        return "oldestUnsentAgeS: integer expected";
                }
                if (m.dropped != null && Object.hasOwnProperty.call(m, "dropped")) {
                    if (!$util.isInteger(m.dropped) && !(m.dropped && $util.isInteger(m.dropped.low) && $util.isInteger(m.dropped.high)))
                        return "dropped: integer|Long expected";
                }
                if (m.pollErrors != null && Object.hasOwnProperty.call(m, "pollErrors")) {
                    if (!$util.isInteger(m.pollErrors) && !(m.pollErrors && $util.isInteger(m.pollErrors.low) && $util.isInteger(m.pollErrors.high)))
                        return "pollErrors: integer|Long expected";
                }
                if (m.uptimeS != null && Object.hasOwnProperty.call(m, "uptimeS")) {
                    if (!$util.isInteger(m.uptimeS) && !(m.uptimeS && $util.isInteger(m.uptimeS.low) && $util.isInteger(m.uptimeS.high)))
                        return "uptimeS: integer|Long expected";
                }
                if (m.queueBytes != null && Object.hasOwnProperty.call(m, "queueBytes")) {
                    if (!$util.isInteger(m.queueBytes) && !(m.queueBytes && $util.isInteger(m.queueBytes.low) && $util.isInteger(m.queueBytes.high)))
                        return "queueBytes: integer|Long expected";
                }
                if (m.queueBatches != null && Object.hasOwnProperty.call(m, "queueBatches")) {
                    if (!$util.isInteger(m.queueBatches) && !(m.queueBatches && $util.isInteger(m.queueBatches.low) && $util.isInteger(m.queueBatches.high)))
                        return "queueBatches: integer|Long expected";
                }
                if (m.devices != null && Object.hasOwnProperty.call(m, "devices")) {
                    if (!Array.isArray(m.devices))
                        return "devices: array expected";
                    for (var i = 0; i < m.devices.length; ++i) {
                        {
                            var e = $root.tianzhong.v1.GatewayDeviceState.verify(m.devices[i], n + 1);
                            if (e)
                                return "devices." + e;
                        }
                    }
                }
                if (m.loraFramesRejected != null && Object.hasOwnProperty.call(m, "loraFramesRejected")) {
                    if (!$util.isInteger(m.loraFramesRejected) && !(m.loraFramesRejected && $util.isInteger(m.loraFramesRejected.low) && $util.isInteger(m.loraFramesRejected.high)))
                        return "loraFramesRejected: integer|Long expected";
                }
                if (m.loraReplaysRejected != null && Object.hasOwnProperty.call(m, "loraReplaysRejected")) {
                    if (!$util.isInteger(m.loraReplaysRejected) && !(m.loraReplaysRejected && $util.isInteger(m.loraReplaysRejected.low) && $util.isInteger(m.loraReplaysRejected.high)))
                        return "loraReplaysRejected: integer|Long expected";
                }
                if (m.commandsAnswered != null && Object.hasOwnProperty.call(m, "commandsAnswered")) {
                    if (!$util.isInteger(m.commandsAnswered) && !(m.commandsAnswered && $util.isInteger(m.commandsAnswered.low) && $util.isInteger(m.commandsAnswered.high)))
                        return "commandsAnswered: integer|Long expected";
                }
                if (m.batchesReplayed != null && Object.hasOwnProperty.call(m, "batchesReplayed")) {
                    if (!$util.isInteger(m.batchesReplayed) && !(m.batchesReplayed && $util.isInteger(m.batchesReplayed.low) && $util.isInteger(m.batchesReplayed.high)))
                        return "batchesReplayed: integer|Long expected";
                }
                if (m.configVersion != null && Object.hasOwnProperty.call(m, "configVersion")) {
                    if (!$util.isInteger(m.configVersion) && !(m.configVersion && $util.isInteger(m.configVersion.low) && $util.isInteger(m.configVersion.high)))
                        return "configVersion: integer|Long expected";
                }
                if (m.configRejectedVersion != null && Object.hasOwnProperty.call(m, "configRejectedVersion")) {
                    if (!$util.isInteger(m.configRejectedVersion) && !(m.configRejectedVersion && $util.isInteger(m.configRejectedVersion.low) && $util.isInteger(m.configRejectedVersion.high)))
                        return "configRejectedVersion: integer|Long expected";
                }
                if (m.configRejectedReason != null && Object.hasOwnProperty.call(m, "configRejectedReason")) {
                    if (!$util.isString(m.configRejectedReason))
                        return "configRejectedReason: string expected";
                }
                return null;
            };

            /**
             * Creates a GatewayStatus message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.GatewayStatus
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.GatewayStatus} GatewayStatus
             */
            GatewayStatus.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.GatewayStatus)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.GatewayStatus: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.GatewayStatus();
                if (d.gatewayId != null) {
                    m.gatewayId = String(d.gatewayId);
                }
                switch (d.state) {
                default:
                    if (typeof d.state === "number") {
                        m.state = d.state;
                        break;
                    }
                    break;
                case "GATEWAY_STATE_UNKNOWN":
                case 0:
                    m.state = 0;
                    break;
                case "GATEWAY_STATE_ONLINE":
                case 1:
                    m.state = 1;
                    break;
                case "GATEWAY_STATE_OFFLINE":
                case 2:
                    m.state = 2;
                    break;
                }
                if (d.timestampMs != null) {
                    if ($util.Long)
                        m.timestampMs = $util.Long.fromValue(d.timestampMs, false);
                    else if (typeof d.timestampMs === "string")
                        m.timestampMs = parseInt(d.timestampMs, 10);
                    else if (typeof d.timestampMs === "number")
                        m.timestampMs = d.timestampMs;
                    else if (typeof d.timestampMs === "object")
                        m.timestampMs = new $util.LongBits(d.timestampMs.low >>> 0, d.timestampMs.high >>> 0).toNumber();
                }
                if (d.version != null) {
                    m.version = String(d.version);
                }
                if (d.devicesTotal != null) {
                    m.devicesTotal = d.devicesTotal >>> 0;
                }
                if (d.devicesOnline != null) {
                    m.devicesOnline = d.devicesOnline >>> 0;
                }
                if (d.queueDepth != null) {
                    if ($util.Long)
                        m.queueDepth = $util.Long.fromValue(d.queueDepth, true);
                    else if (typeof d.queueDepth === "string")
                        m.queueDepth = parseInt(d.queueDepth, 10);
                    else if (typeof d.queueDepth === "number")
                        m.queueDepth = d.queueDepth;
                    else if (typeof d.queueDepth === "object")
                        m.queueDepth = new $util.LongBits(d.queueDepth.low >>> 0, d.queueDepth.high >>> 0).toNumber(true);
                }
                if (d.oldestUnsentAgeS != null) {
                    m.oldestUnsentAgeS = d.oldestUnsentAgeS >>> 0;
                }
                if (d.dropped != null) {
                    if ($util.Long)
                        m.dropped = $util.Long.fromValue(d.dropped, true);
                    else if (typeof d.dropped === "string")
                        m.dropped = parseInt(d.dropped, 10);
                    else if (typeof d.dropped === "number")
                        m.dropped = d.dropped;
                    else if (typeof d.dropped === "object")
                        m.dropped = new $util.LongBits(d.dropped.low >>> 0, d.dropped.high >>> 0).toNumber(true);
                }
                if (d.pollErrors != null) {
                    if ($util.Long)
                        m.pollErrors = $util.Long.fromValue(d.pollErrors, true);
                    else if (typeof d.pollErrors === "string")
                        m.pollErrors = parseInt(d.pollErrors, 10);
                    else if (typeof d.pollErrors === "number")
                        m.pollErrors = d.pollErrors;
                    else if (typeof d.pollErrors === "object")
                        m.pollErrors = new $util.LongBits(d.pollErrors.low >>> 0, d.pollErrors.high >>> 0).toNumber(true);
                }
                if (d.uptimeS != null) {
                    if ($util.Long)
                        m.uptimeS = $util.Long.fromValue(d.uptimeS, true);
                    else if (typeof d.uptimeS === "string")
                        m.uptimeS = parseInt(d.uptimeS, 10);
                    else if (typeof d.uptimeS === "number")
                        m.uptimeS = d.uptimeS;
                    else if (typeof d.uptimeS === "object")
                        m.uptimeS = new $util.LongBits(d.uptimeS.low >>> 0, d.uptimeS.high >>> 0).toNumber(true);
                }
                if (d.queueBytes != null) {
                    if ($util.Long)
                        m.queueBytes = $util.Long.fromValue(d.queueBytes, true);
                    else if (typeof d.queueBytes === "string")
                        m.queueBytes = parseInt(d.queueBytes, 10);
                    else if (typeof d.queueBytes === "number")
                        m.queueBytes = d.queueBytes;
                    else if (typeof d.queueBytes === "object")
                        m.queueBytes = new $util.LongBits(d.queueBytes.low >>> 0, d.queueBytes.high >>> 0).toNumber(true);
                }
                if (d.queueBatches != null) {
                    if ($util.Long)
                        m.queueBatches = $util.Long.fromValue(d.queueBatches, true);
                    else if (typeof d.queueBatches === "string")
                        m.queueBatches = parseInt(d.queueBatches, 10);
                    else if (typeof d.queueBatches === "number")
                        m.queueBatches = d.queueBatches;
                    else if (typeof d.queueBatches === "object")
                        m.queueBatches = new $util.LongBits(d.queueBatches.low >>> 0, d.queueBatches.high >>> 0).toNumber(true);
                }
                if (d.devices) {
                    if (!Array.isArray(d.devices))
                        throw TypeError(".tianzhong.v1.GatewayStatus.devices: array expected");
                    m.devices = [];
                    for (var i = 0; i < d.devices.length; ++i) {
                        if (!$util.isObject(d.devices[i]))
                            throw TypeError(".tianzhong.v1.GatewayStatus.devices: object expected");
                        m.devices[i] = $root.tianzhong.v1.GatewayDeviceState.fromObject(d.devices[i], n + 1);
                    }
                }
                if (d.loraFramesRejected != null) {
                    if ($util.Long)
                        m.loraFramesRejected = $util.Long.fromValue(d.loraFramesRejected, true);
                    else if (typeof d.loraFramesRejected === "string")
                        m.loraFramesRejected = parseInt(d.loraFramesRejected, 10);
                    else if (typeof d.loraFramesRejected === "number")
                        m.loraFramesRejected = d.loraFramesRejected;
                    else if (typeof d.loraFramesRejected === "object")
                        m.loraFramesRejected = new $util.LongBits(d.loraFramesRejected.low >>> 0, d.loraFramesRejected.high >>> 0).toNumber(true);
                }
                if (d.loraReplaysRejected != null) {
                    if ($util.Long)
                        m.loraReplaysRejected = $util.Long.fromValue(d.loraReplaysRejected, true);
                    else if (typeof d.loraReplaysRejected === "string")
                        m.loraReplaysRejected = parseInt(d.loraReplaysRejected, 10);
                    else if (typeof d.loraReplaysRejected === "number")
                        m.loraReplaysRejected = d.loraReplaysRejected;
                    else if (typeof d.loraReplaysRejected === "object")
                        m.loraReplaysRejected = new $util.LongBits(d.loraReplaysRejected.low >>> 0, d.loraReplaysRejected.high >>> 0).toNumber(true);
                }
                if (d.commandsAnswered != null) {
                    if ($util.Long)
                        m.commandsAnswered = $util.Long.fromValue(d.commandsAnswered, true);
                    else if (typeof d.commandsAnswered === "string")
                        m.commandsAnswered = parseInt(d.commandsAnswered, 10);
                    else if (typeof d.commandsAnswered === "number")
                        m.commandsAnswered = d.commandsAnswered;
                    else if (typeof d.commandsAnswered === "object")
                        m.commandsAnswered = new $util.LongBits(d.commandsAnswered.low >>> 0, d.commandsAnswered.high >>> 0).toNumber(true);
                }
                if (d.batchesReplayed != null) {
                    if ($util.Long)
                        m.batchesReplayed = $util.Long.fromValue(d.batchesReplayed, true);
                    else if (typeof d.batchesReplayed === "string")
                        m.batchesReplayed = parseInt(d.batchesReplayed, 10);
                    else if (typeof d.batchesReplayed === "number")
                        m.batchesReplayed = d.batchesReplayed;
                    else if (typeof d.batchesReplayed === "object")
                        m.batchesReplayed = new $util.LongBits(d.batchesReplayed.low >>> 0, d.batchesReplayed.high >>> 0).toNumber(true);
                }
                if (d.configVersion != null) {
                    if ($util.Long)
                        m.configVersion = $util.Long.fromValue(d.configVersion, true);
                    else if (typeof d.configVersion === "string")
                        m.configVersion = parseInt(d.configVersion, 10);
                    else if (typeof d.configVersion === "number")
                        m.configVersion = d.configVersion;
                    else if (typeof d.configVersion === "object")
                        m.configVersion = new $util.LongBits(d.configVersion.low >>> 0, d.configVersion.high >>> 0).toNumber(true);
                }
                if (d.configRejectedVersion != null) {
                    if ($util.Long)
                        m.configRejectedVersion = $util.Long.fromValue(d.configRejectedVersion, true);
                    else if (typeof d.configRejectedVersion === "string")
                        m.configRejectedVersion = parseInt(d.configRejectedVersion, 10);
                    else if (typeof d.configRejectedVersion === "number")
                        m.configRejectedVersion = d.configRejectedVersion;
                    else if (typeof d.configRejectedVersion === "object")
                        m.configRejectedVersion = new $util.LongBits(d.configRejectedVersion.low >>> 0, d.configRejectedVersion.high >>> 0).toNumber(true);
                }
                if (d.configRejectedReason != null) {
                    m.configRejectedReason = String(d.configRejectedReason);
                }
                return m;
            };

            /**
             * Creates a plain object from a GatewayStatus message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.GatewayStatus
             * @static
             * @param {tianzhong.v1.GatewayStatus} m GatewayStatus
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            GatewayStatus.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.arrays || o.defaults) {
                    d.devices = [];
                }
                if (o.defaults) {
                    d.gatewayId = "";
                    d.state = o.enums === String ? "GATEWAY_STATE_UNKNOWN" : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.timestampMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.timestampMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    d.version = "";
                    d.devicesTotal = 0;
                    d.devicesOnline = 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.queueDepth = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.queueDepth = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    d.oldestUnsentAgeS = 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.dropped = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.dropped = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.pollErrors = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.pollErrors = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.uptimeS = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.uptimeS = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.queueBytes = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.queueBytes = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.queueBatches = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.queueBatches = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.loraFramesRejected = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.loraFramesRejected = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.loraReplaysRejected = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.loraReplaysRejected = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.commandsAnswered = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.commandsAnswered = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.batchesReplayed = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.batchesReplayed = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.configVersion = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.configVersion = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.configRejectedVersion = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.configRejectedVersion = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    d.configRejectedReason = "";
                }
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId")) {
                    d.gatewayId = m.gatewayId;
                }
                if (m.state != null && Object.hasOwnProperty.call(m, "state")) {
                    d.state = o.enums === String ? $root.tianzhong.v1.GatewayState[m.state] === undefined ? m.state : $root.tianzhong.v1.GatewayState[m.state] : m.state;
                }
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.timestampMs = typeof m.timestampMs === "number" ? BigInt(m.timestampMs) : $util.Long.fromBits(m.timestampMs.low >>> 0, m.timestampMs.high >>> 0, false).toBigInt();
                    else if (typeof m.timestampMs === "number")
                        d.timestampMs = o.longs === String ? String(m.timestampMs) : m.timestampMs;
                    else
                        d.timestampMs = o.longs === String ? $util.Long.prototype.toString.call(m.timestampMs) : o.longs === Number ? new $util.LongBits(m.timestampMs.low >>> 0, m.timestampMs.high >>> 0).toNumber() : m.timestampMs;
                }
                if (m.version != null && Object.hasOwnProperty.call(m, "version")) {
                    d.version = m.version;
                }
                if (m.devicesTotal != null && Object.hasOwnProperty.call(m, "devicesTotal")) {
                    d.devicesTotal = m.devicesTotal;
                }
                if (m.devicesOnline != null && Object.hasOwnProperty.call(m, "devicesOnline")) {
                    d.devicesOnline = m.devicesOnline;
                }
                if (m.queueDepth != null && Object.hasOwnProperty.call(m, "queueDepth")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.queueDepth = typeof m.queueDepth === "number" ? BigInt(m.queueDepth) : $util.Long.fromBits(m.queueDepth.low >>> 0, m.queueDepth.high >>> 0, true).toBigInt();
                    else if (typeof m.queueDepth === "number")
                        d.queueDepth = o.longs === String ? String(m.queueDepth) : m.queueDepth;
                    else
                        d.queueDepth = o.longs === String ? $util.Long.prototype.toString.call(m.queueDepth) : o.longs === Number ? new $util.LongBits(m.queueDepth.low >>> 0, m.queueDepth.high >>> 0).toNumber(true) : m.queueDepth;
                }
                if (m.oldestUnsentAgeS != null && Object.hasOwnProperty.call(m, "oldestUnsentAgeS")) {
                    d.oldestUnsentAgeS = m.oldestUnsentAgeS;
                }
                if (m.dropped != null && Object.hasOwnProperty.call(m, "dropped")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.dropped = typeof m.dropped === "number" ? BigInt(m.dropped) : $util.Long.fromBits(m.dropped.low >>> 0, m.dropped.high >>> 0, true).toBigInt();
                    else if (typeof m.dropped === "number")
                        d.dropped = o.longs === String ? String(m.dropped) : m.dropped;
                    else
                        d.dropped = o.longs === String ? $util.Long.prototype.toString.call(m.dropped) : o.longs === Number ? new $util.LongBits(m.dropped.low >>> 0, m.dropped.high >>> 0).toNumber(true) : m.dropped;
                }
                if (m.pollErrors != null && Object.hasOwnProperty.call(m, "pollErrors")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.pollErrors = typeof m.pollErrors === "number" ? BigInt(m.pollErrors) : $util.Long.fromBits(m.pollErrors.low >>> 0, m.pollErrors.high >>> 0, true).toBigInt();
                    else if (typeof m.pollErrors === "number")
                        d.pollErrors = o.longs === String ? String(m.pollErrors) : m.pollErrors;
                    else
                        d.pollErrors = o.longs === String ? $util.Long.prototype.toString.call(m.pollErrors) : o.longs === Number ? new $util.LongBits(m.pollErrors.low >>> 0, m.pollErrors.high >>> 0).toNumber(true) : m.pollErrors;
                }
                if (m.uptimeS != null && Object.hasOwnProperty.call(m, "uptimeS")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.uptimeS = typeof m.uptimeS === "number" ? BigInt(m.uptimeS) : $util.Long.fromBits(m.uptimeS.low >>> 0, m.uptimeS.high >>> 0, true).toBigInt();
                    else if (typeof m.uptimeS === "number")
                        d.uptimeS = o.longs === String ? String(m.uptimeS) : m.uptimeS;
                    else
                        d.uptimeS = o.longs === String ? $util.Long.prototype.toString.call(m.uptimeS) : o.longs === Number ? new $util.LongBits(m.uptimeS.low >>> 0, m.uptimeS.high >>> 0).toNumber(true) : m.uptimeS;
                }
                if (m.queueBytes != null && Object.hasOwnProperty.call(m, "queueBytes")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.queueBytes = typeof m.queueBytes === "number" ? BigInt(m.queueBytes) : $util.Long.fromBits(m.queueBytes.low >>> 0, m.queueBytes.high >>> 0, true).toBigInt();
                    else if (typeof m.queueBytes === "number")
                        d.queueBytes = o.longs === String ? String(m.queueBytes) : m.queueBytes;
                    else
                        d.queueBytes = o.longs === String ? $util.Long.prototype.toString.call(m.queueBytes) : o.longs === Number ? new $util.LongBits(m.queueBytes.low >>> 0, m.queueBytes.high >>> 0).toNumber(true) : m.queueBytes;
                }
                if (m.queueBatches != null && Object.hasOwnProperty.call(m, "queueBatches")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.queueBatches = typeof m.queueBatches === "number" ? BigInt(m.queueBatches) : $util.Long.fromBits(m.queueBatches.low >>> 0, m.queueBatches.high >>> 0, true).toBigInt();
                    else if (typeof m.queueBatches === "number")
                        d.queueBatches = o.longs === String ? String(m.queueBatches) : m.queueBatches;
                    else
                        d.queueBatches = o.longs === String ? $util.Long.prototype.toString.call(m.queueBatches) : o.longs === Number ? new $util.LongBits(m.queueBatches.low >>> 0, m.queueBatches.high >>> 0).toNumber(true) : m.queueBatches;
                }
                if (m.devices && m.devices.length) {
                    d.devices = [];
                    for (var j = 0; j < m.devices.length; ++j) {
                        d.devices[j] = $root.tianzhong.v1.GatewayDeviceState.toObject(m.devices[j], o, q + 1);
                    }
                }
                if (m.loraFramesRejected != null && Object.hasOwnProperty.call(m, "loraFramesRejected")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.loraFramesRejected = typeof m.loraFramesRejected === "number" ? BigInt(m.loraFramesRejected) : $util.Long.fromBits(m.loraFramesRejected.low >>> 0, m.loraFramesRejected.high >>> 0, true).toBigInt();
                    else if (typeof m.loraFramesRejected === "number")
                        d.loraFramesRejected = o.longs === String ? String(m.loraFramesRejected) : m.loraFramesRejected;
                    else
                        d.loraFramesRejected = o.longs === String ? $util.Long.prototype.toString.call(m.loraFramesRejected) : o.longs === Number ? new $util.LongBits(m.loraFramesRejected.low >>> 0, m.loraFramesRejected.high >>> 0).toNumber(true) : m.loraFramesRejected;
                }
                if (m.loraReplaysRejected != null && Object.hasOwnProperty.call(m, "loraReplaysRejected")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.loraReplaysRejected = typeof m.loraReplaysRejected === "number" ? BigInt(m.loraReplaysRejected) : $util.Long.fromBits(m.loraReplaysRejected.low >>> 0, m.loraReplaysRejected.high >>> 0, true).toBigInt();
                    else if (typeof m.loraReplaysRejected === "number")
                        d.loraReplaysRejected = o.longs === String ? String(m.loraReplaysRejected) : m.loraReplaysRejected;
                    else
                        d.loraReplaysRejected = o.longs === String ? $util.Long.prototype.toString.call(m.loraReplaysRejected) : o.longs === Number ? new $util.LongBits(m.loraReplaysRejected.low >>> 0, m.loraReplaysRejected.high >>> 0).toNumber(true) : m.loraReplaysRejected;
                }
                if (m.commandsAnswered != null && Object.hasOwnProperty.call(m, "commandsAnswered")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.commandsAnswered = typeof m.commandsAnswered === "number" ? BigInt(m.commandsAnswered) : $util.Long.fromBits(m.commandsAnswered.low >>> 0, m.commandsAnswered.high >>> 0, true).toBigInt();
                    else if (typeof m.commandsAnswered === "number")
                        d.commandsAnswered = o.longs === String ? String(m.commandsAnswered) : m.commandsAnswered;
                    else
                        d.commandsAnswered = o.longs === String ? $util.Long.prototype.toString.call(m.commandsAnswered) : o.longs === Number ? new $util.LongBits(m.commandsAnswered.low >>> 0, m.commandsAnswered.high >>> 0).toNumber(true) : m.commandsAnswered;
                }
                if (m.batchesReplayed != null && Object.hasOwnProperty.call(m, "batchesReplayed")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.batchesReplayed = typeof m.batchesReplayed === "number" ? BigInt(m.batchesReplayed) : $util.Long.fromBits(m.batchesReplayed.low >>> 0, m.batchesReplayed.high >>> 0, true).toBigInt();
                    else if (typeof m.batchesReplayed === "number")
                        d.batchesReplayed = o.longs === String ? String(m.batchesReplayed) : m.batchesReplayed;
                    else
                        d.batchesReplayed = o.longs === String ? $util.Long.prototype.toString.call(m.batchesReplayed) : o.longs === Number ? new $util.LongBits(m.batchesReplayed.low >>> 0, m.batchesReplayed.high >>> 0).toNumber(true) : m.batchesReplayed;
                }
                if (m.configVersion != null && Object.hasOwnProperty.call(m, "configVersion")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.configVersion = typeof m.configVersion === "number" ? BigInt(m.configVersion) : $util.Long.fromBits(m.configVersion.low >>> 0, m.configVersion.high >>> 0, true).toBigInt();
                    else if (typeof m.configVersion === "number")
                        d.configVersion = o.longs === String ? String(m.configVersion) : m.configVersion;
                    else
                        d.configVersion = o.longs === String ? $util.Long.prototype.toString.call(m.configVersion) : o.longs === Number ? new $util.LongBits(m.configVersion.low >>> 0, m.configVersion.high >>> 0).toNumber(true) : m.configVersion;
                }
                if (m.configRejectedVersion != null && Object.hasOwnProperty.call(m, "configRejectedVersion")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.configRejectedVersion = typeof m.configRejectedVersion === "number" ? BigInt(m.configRejectedVersion) : $util.Long.fromBits(m.configRejectedVersion.low >>> 0, m.configRejectedVersion.high >>> 0, true).toBigInt();
                    else if (typeof m.configRejectedVersion === "number")
                        d.configRejectedVersion = o.longs === String ? String(m.configRejectedVersion) : m.configRejectedVersion;
                    else
                        d.configRejectedVersion = o.longs === String ? $util.Long.prototype.toString.call(m.configRejectedVersion) : o.longs === Number ? new $util.LongBits(m.configRejectedVersion.low >>> 0, m.configRejectedVersion.high >>> 0).toNumber(true) : m.configRejectedVersion;
                }
                if (m.configRejectedReason != null && Object.hasOwnProperty.call(m, "configRejectedReason")) {
                    d.configRejectedReason = m.configRejectedReason;
                }
                return d;
            };

            /**
             * Converts this GatewayStatus to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.GatewayStatus
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            GatewayStatus.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for GatewayStatus
             * @function getTypeUrl
             * @memberof tianzhong.v1.GatewayStatus
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            GatewayStatus.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.GatewayStatus";
            };

            return GatewayStatus;
        })();

        v1.GatewayDeviceState = (function() {

            /**
             * Properties of a GatewayDeviceState.
             * @memberof tianzhong.v1
             * @interface IGatewayDeviceState
             * @property {string|null} [deviceId] GatewayDeviceState deviceId
             * @property {number|null} [state] GatewayDeviceState state
             * @property {string|null} [transport] GatewayDeviceState transport
             * @property {number|null} [lastSeenMs] GatewayDeviceState lastSeenMs
             * @property {number|null} [consecutiveFailures] GatewayDeviceState consecutiveFailures
             * @property {number|null} [pollErrors] GatewayDeviceState pollErrors
             * @property {number|null} [rssiDbm] GatewayDeviceState rssiDbm
             * @property {number|null} [snrDb] GatewayDeviceState snrDb
             */

            /**
             * Constructs a new GatewayDeviceState.
             * @memberof tianzhong.v1
             * @classdesc Represents a GatewayDeviceState.
             * @implements IGatewayDeviceState
             * @constructor
             * @param {tianzhong.v1.IGatewayDeviceState=} [p] Properties to set
             */
            function GatewayDeviceState(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * GatewayDeviceState deviceId.
             * @member {string} deviceId
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             */
            GatewayDeviceState.prototype.deviceId = "";

            /**
             * GatewayDeviceState state.
             * @member {number} state
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             */
            GatewayDeviceState.prototype.state = 0;

            /**
             * GatewayDeviceState transport.
             * @member {string} transport
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             */
            GatewayDeviceState.prototype.transport = "";

            /**
             * GatewayDeviceState lastSeenMs.
             * @member {number} lastSeenMs
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             */
            GatewayDeviceState.prototype.lastSeenMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * GatewayDeviceState consecutiveFailures.
             * @member {number} consecutiveFailures
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             */
            GatewayDeviceState.prototype.consecutiveFailures = 0;

            /**
             * GatewayDeviceState pollErrors.
             * @member {number} pollErrors
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             */
            GatewayDeviceState.prototype.pollErrors = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * GatewayDeviceState rssiDbm.
             * @member {number|null|undefined} rssiDbm
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             */
            GatewayDeviceState.prototype.rssiDbm = null;

            /**
             * GatewayDeviceState snrDb.
             * @member {number|null|undefined} snrDb
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             */
            GatewayDeviceState.prototype.snrDb = null;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            // Virtual OneOf for proto3 optional field
            Object.defineProperty(GatewayDeviceState.prototype, "_rssiDbm", {
                get: $util.oneOfGetter($oneOfFields = ["rssiDbm"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            // Virtual OneOf for proto3 optional field
            Object.defineProperty(GatewayDeviceState.prototype, "_snrDb", {
                get: $util.oneOfGetter($oneOfFields = ["snrDb"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new GatewayDeviceState instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.GatewayDeviceState
             * @static
             * @param {tianzhong.v1.IGatewayDeviceState=} [properties] Properties to set
             * @returns {tianzhong.v1.GatewayDeviceState} GatewayDeviceState instance
             */
            GatewayDeviceState.create = function create(properties) {
                return new GatewayDeviceState(properties);
            };

            /**
             * Encodes the specified GatewayDeviceState message. Does not implicitly {@link tianzhong.v1.GatewayDeviceState.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.GatewayDeviceState
             * @static
             * @param {tianzhong.v1.IGatewayDeviceState} m GatewayDeviceState message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            GatewayDeviceState.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId"))
                    w.uint32(10).string(m.deviceId);
                if (m.state != null && Object.hasOwnProperty.call(m, "state"))
                    w.uint32(16).uint32(m.state);
                if (m.transport != null && Object.hasOwnProperty.call(m, "transport"))
                    w.uint32(26).string(m.transport);
                if (m.lastSeenMs != null && Object.hasOwnProperty.call(m, "lastSeenMs"))
                    w.uint32(32).int64(m.lastSeenMs);
                if (m.consecutiveFailures != null && Object.hasOwnProperty.call(m, "consecutiveFailures"))
                    w.uint32(40).uint32(m.consecutiveFailures);
                if (m.pollErrors != null && Object.hasOwnProperty.call(m, "pollErrors"))
                    w.uint32(48).uint64(m.pollErrors);
                if (m.rssiDbm != null && Object.hasOwnProperty.call(m, "rssiDbm"))
                    w.uint32(61).float(m.rssiDbm);
                if (m.snrDb != null && Object.hasOwnProperty.call(m, "snrDb"))
                    w.uint32(69).float(m.snrDb);
                return w;
            };

            /**
             * Decodes a GatewayDeviceState message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.GatewayDeviceState
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.GatewayDeviceState} GatewayDeviceState
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            GatewayDeviceState.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.GatewayDeviceState();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.deviceId = r.string();
                            break;
                        }
                    case 2: {
                            m.state = r.uint32();
                            break;
                        }
                    case 3: {
                            m.transport = r.string();
                            break;
                        }
                    case 4: {
                            m.lastSeenMs = r.int64();
                            break;
                        }
                    case 5: {
                            m.consecutiveFailures = r.uint32();
                            break;
                        }
                    case 6: {
                            m.pollErrors = r.uint64();
                            break;
                        }
                    case 7: {
                            m.rssiDbm = r.float();
                            break;
                        }
                    case 8: {
                            m.snrDb = r.float();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a GatewayDeviceState message.
             * @function verify
             * @memberof tianzhong.v1.GatewayDeviceState
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            GatewayDeviceState.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                var p = {};
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    if (!$util.isString(m.deviceId))
                        return "deviceId: string expected";
                }
                if (m.state != null && Object.hasOwnProperty.call(m, "state")) {
                    if (!$util.isInteger(m.state))
                        return "state: integer expected";
                }
                if (m.transport != null && Object.hasOwnProperty.call(m, "transport")) {
                    if (!$util.isString(m.transport))
                        return "transport: string expected";
                }
                if (m.lastSeenMs != null && Object.hasOwnProperty.call(m, "lastSeenMs")) {
                    if (!$util.isInteger(m.lastSeenMs) && !(m.lastSeenMs && $util.isInteger(m.lastSeenMs.low) && $util.isInteger(m.lastSeenMs.high)))
                        return "lastSeenMs: integer|Long expected";
                }
                if (m.consecutiveFailures != null && Object.hasOwnProperty.call(m, "consecutiveFailures")) {
                    if (!$util.isInteger(m.consecutiveFailures))
                        return "consecutiveFailures: integer expected";
                }
                if (m.pollErrors != null && Object.hasOwnProperty.call(m, "pollErrors")) {
                    if (!$util.isInteger(m.pollErrors) && !(m.pollErrors && $util.isInteger(m.pollErrors.low) && $util.isInteger(m.pollErrors.high)))
                        return "pollErrors: integer|Long expected";
                }
                if (m.rssiDbm != null && Object.hasOwnProperty.call(m, "rssiDbm")) {
                    p._rssiDbm = 1;
                    if (typeof m.rssiDbm !== "number")
                        return "rssiDbm: number expected";
                }
                if (m.snrDb != null && Object.hasOwnProperty.call(m, "snrDb")) {
                    p._snrDb = 1;
                    if (typeof m.snrDb !== "number")
                        return "snrDb: number expected";
                }
                return null;
            };

            /**
             * Creates a GatewayDeviceState message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.GatewayDeviceState
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.GatewayDeviceState} GatewayDeviceState
             */
            GatewayDeviceState.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.GatewayDeviceState)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.GatewayDeviceState: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.GatewayDeviceState();
                if (d.deviceId != null) {
                    m.deviceId = String(d.deviceId);
                }
                if (d.state != null) {
                    m.state = d.state >>> 0;
                }
                if (d.transport != null) {
                    m.transport = String(d.transport);
                }
                if (d.lastSeenMs != null) {
                    if ($util.Long)
                        m.lastSeenMs = $util.Long.fromValue(d.lastSeenMs, false);
                    else if (typeof d.lastSeenMs === "string")
                        m.lastSeenMs = parseInt(d.lastSeenMs, 10);
                    else if (typeof d.lastSeenMs === "number")
                        m.lastSeenMs = d.lastSeenMs;
                    else if (typeof d.lastSeenMs === "object")
                        m.lastSeenMs = new $util.LongBits(d.lastSeenMs.low >>> 0, d.lastSeenMs.high >>> 0).toNumber();
                }
                if (d.consecutiveFailures != null) {
                    m.consecutiveFailures = d.consecutiveFailures >>> 0;
                }
                if (d.pollErrors != null) {
                    if ($util.Long)
                        m.pollErrors = $util.Long.fromValue(d.pollErrors, true);
                    else if (typeof d.pollErrors === "string")
                        m.pollErrors = parseInt(d.pollErrors, 10);
                    else if (typeof d.pollErrors === "number")
                        m.pollErrors = d.pollErrors;
                    else if (typeof d.pollErrors === "object")
                        m.pollErrors = new $util.LongBits(d.pollErrors.low >>> 0, d.pollErrors.high >>> 0).toNumber(true);
                }
                if (d.rssiDbm != null) {
                    m.rssiDbm = Number(d.rssiDbm);
                }
                if (d.snrDb != null) {
                    m.snrDb = Number(d.snrDb);
                }
                return m;
            };

            /**
             * Creates a plain object from a GatewayDeviceState message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.GatewayDeviceState
             * @static
             * @param {tianzhong.v1.GatewayDeviceState} m GatewayDeviceState
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            GatewayDeviceState.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.deviceId = "";
                    d.state = 0;
                    d.transport = "";
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.lastSeenMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.lastSeenMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    d.consecutiveFailures = 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.pollErrors = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.pollErrors = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                }
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    d.deviceId = m.deviceId;
                }
                if (m.state != null && Object.hasOwnProperty.call(m, "state")) {
                    d.state = m.state;
                }
                if (m.transport != null && Object.hasOwnProperty.call(m, "transport")) {
                    d.transport = m.transport;
                }
                if (m.lastSeenMs != null && Object.hasOwnProperty.call(m, "lastSeenMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.lastSeenMs = typeof m.lastSeenMs === "number" ? BigInt(m.lastSeenMs) : $util.Long.fromBits(m.lastSeenMs.low >>> 0, m.lastSeenMs.high >>> 0, false).toBigInt();
                    else if (typeof m.lastSeenMs === "number")
                        d.lastSeenMs = o.longs === String ? String(m.lastSeenMs) : m.lastSeenMs;
                    else
                        d.lastSeenMs = o.longs === String ? $util.Long.prototype.toString.call(m.lastSeenMs) : o.longs === Number ? new $util.LongBits(m.lastSeenMs.low >>> 0, m.lastSeenMs.high >>> 0).toNumber() : m.lastSeenMs;
                }
                if (m.consecutiveFailures != null && Object.hasOwnProperty.call(m, "consecutiveFailures")) {
                    d.consecutiveFailures = m.consecutiveFailures;
                }
                if (m.pollErrors != null && Object.hasOwnProperty.call(m, "pollErrors")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.pollErrors = typeof m.pollErrors === "number" ? BigInt(m.pollErrors) : $util.Long.fromBits(m.pollErrors.low >>> 0, m.pollErrors.high >>> 0, true).toBigInt();
                    else if (typeof m.pollErrors === "number")
                        d.pollErrors = o.longs === String ? String(m.pollErrors) : m.pollErrors;
                    else
                        d.pollErrors = o.longs === String ? $util.Long.prototype.toString.call(m.pollErrors) : o.longs === Number ? new $util.LongBits(m.pollErrors.low >>> 0, m.pollErrors.high >>> 0).toNumber(true) : m.pollErrors;
                }
                if (m.rssiDbm != null && Object.hasOwnProperty.call(m, "rssiDbm")) {
                    d.rssiDbm = o.json && !isFinite(m.rssiDbm) ? String(m.rssiDbm) : m.rssiDbm;
                    if (o.oneofs)
                        d._rssiDbm = "rssiDbm";
                }
                if (m.snrDb != null && Object.hasOwnProperty.call(m, "snrDb")) {
                    d.snrDb = o.json && !isFinite(m.snrDb) ? String(m.snrDb) : m.snrDb;
                    if (o.oneofs)
                        d._snrDb = "snrDb";
                }
                return d;
            };

            /**
             * Converts this GatewayDeviceState to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.GatewayDeviceState
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            GatewayDeviceState.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for GatewayDeviceState
             * @function getTypeUrl
             * @memberof tianzhong.v1.GatewayDeviceState
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            GatewayDeviceState.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.GatewayDeviceState";
            };

            return GatewayDeviceState;
        })();

        v1.CommandParam = (function() {

            /**
             * Properties of a CommandParam.
             * @memberof tianzhong.v1
             * @interface ICommandParam
             * @property {string|null} [name] CommandParam name
             * @property {number|null} [number] CommandParam number
             * @property {boolean|null} [flag] CommandParam flag
             * @property {number|null} [integer] CommandParam integer
             */

            /**
             * Constructs a new CommandParam.
             * @memberof tianzhong.v1
             * @classdesc Represents a CommandParam.
             * @implements ICommandParam
             * @constructor
             * @param {tianzhong.v1.ICommandParam=} [p] Properties to set
             */
            function CommandParam(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * CommandParam name.
             * @member {string} name
             * @memberof tianzhong.v1.CommandParam
             * @instance
             */
            CommandParam.prototype.name = "";

            /**
             * CommandParam number.
             * @member {number|null|undefined} number
             * @memberof tianzhong.v1.CommandParam
             * @instance
             */
            CommandParam.prototype.number = null;

            /**
             * CommandParam flag.
             * @member {boolean|null|undefined} flag
             * @memberof tianzhong.v1.CommandParam
             * @instance
             */
            CommandParam.prototype.flag = null;

            /**
             * CommandParam integer.
             * @member {number|null|undefined} integer
             * @memberof tianzhong.v1.CommandParam
             * @instance
             */
            CommandParam.prototype.integer = null;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            /**
             * CommandParam value.
             * @member {"number"|"flag"|"integer"|undefined} value
             * @memberof tianzhong.v1.CommandParam
             * @instance
             */
            Object.defineProperty(CommandParam.prototype, "value", {
                get: $util.oneOfGetter($oneOfFields = ["number", "flag", "integer"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new CommandParam instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.CommandParam
             * @static
             * @param {tianzhong.v1.ICommandParam=} [properties] Properties to set
             * @returns {tianzhong.v1.CommandParam} CommandParam instance
             */
            CommandParam.create = function create(properties) {
                return new CommandParam(properties);
            };

            /**
             * Encodes the specified CommandParam message. Does not implicitly {@link tianzhong.v1.CommandParam.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.CommandParam
             * @static
             * @param {tianzhong.v1.ICommandParam} m CommandParam message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            CommandParam.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.name != null && Object.hasOwnProperty.call(m, "name"))
                    w.uint32(10).string(m.name);
                if (m.number != null && Object.hasOwnProperty.call(m, "number"))
                    w.uint32(17).double(m.number);
                if (m.flag != null && Object.hasOwnProperty.call(m, "flag"))
                    w.uint32(24).bool(m.flag);
                if (m.integer != null && Object.hasOwnProperty.call(m, "integer"))
                    w.uint32(32).sint64(m.integer);
                return w;
            };

            /**
             * Decodes a CommandParam message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.CommandParam
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.CommandParam} CommandParam
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            CommandParam.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.CommandParam();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.name = r.string();
                            break;
                        }
                    case 2: {
                            m.number = r.double();
                            break;
                        }
                    case 3: {
                            m.flag = r.bool();
                            break;
                        }
                    case 4: {
                            m.integer = r.sint64();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a CommandParam message.
             * @function verify
             * @memberof tianzhong.v1.CommandParam
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            CommandParam.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                var p = {};
                if (m.name != null && Object.hasOwnProperty.call(m, "name")) {
                    if (!$util.isString(m.name))
                        return "name: string expected";
                }
                if (m.number != null && Object.hasOwnProperty.call(m, "number")) {
                    p.value = 1;
                    if (typeof m.number !== "number")
                        return "number: number expected";
                }
                if (m.flag != null && Object.hasOwnProperty.call(m, "flag")) {
                    if (p.value === 1)
                        return "value: multiple values";
                    p.value = 1;
                    if (typeof m.flag !== "boolean")
                        return "flag: boolean expected";
                }
                if (m.integer != null && Object.hasOwnProperty.call(m, "integer")) {
                    if (p.value === 1)
                        return "value: multiple values";
                    p.value = 1;
                    if (!$util.isInteger(m.integer) && !(m.integer && $util.isInteger(m.integer.low) && $util.isInteger(m.integer.high)))
                        return "integer: integer|Long expected";
                }
                return null;
            };

            /**
             * Creates a CommandParam message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.CommandParam
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.CommandParam} CommandParam
             */
            CommandParam.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.CommandParam)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.CommandParam: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.CommandParam();
                if (d.name != null) {
                    m.name = String(d.name);
                }
                if (d.number != null) {
                    m.number = Number(d.number);
                }
                if (d.flag != null) {
                    m.flag = Boolean(d.flag);
                }
                if (d.integer != null) {
                    if ($util.Long)
                        m.integer = $util.Long.fromValue(d.integer, false);
                    else if (typeof d.integer === "string")
                        m.integer = parseInt(d.integer, 10);
                    else if (typeof d.integer === "number")
                        m.integer = d.integer;
                    else if (typeof d.integer === "object")
                        m.integer = new $util.LongBits(d.integer.low >>> 0, d.integer.high >>> 0).toNumber();
                }
                return m;
            };

            /**
             * Creates a plain object from a CommandParam message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.CommandParam
             * @static
             * @param {tianzhong.v1.CommandParam} m CommandParam
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            CommandParam.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.name = "";
                }
                if (m.name != null && Object.hasOwnProperty.call(m, "name")) {
                    d.name = m.name;
                }
                if (m.number != null && Object.hasOwnProperty.call(m, "number")) {
                    d.number = o.json && !isFinite(m.number) ? String(m.number) : m.number;
                    if (o.oneofs)
                        d.value = "number";
                }
                if (m.flag != null && Object.hasOwnProperty.call(m, "flag")) {
                    d.flag = m.flag;
                    if (o.oneofs)
                        d.value = "flag";
                }
                if (m.integer != null && Object.hasOwnProperty.call(m, "integer")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.integer = typeof m.integer === "number" ? BigInt(m.integer) : $util.Long.fromBits(m.integer.low >>> 0, m.integer.high >>> 0, false).toBigInt();
                    else if (typeof m.integer === "number")
                        d.integer = o.longs === String ? String(m.integer) : m.integer;
                    else
                        d.integer = o.longs === String ? $util.Long.prototype.toString.call(m.integer) : o.longs === Number ? new $util.LongBits(m.integer.low >>> 0, m.integer.high >>> 0).toNumber() : m.integer;
                    if (o.oneofs)
                        d.value = "integer";
                }
                return d;
            };

            /**
             * Converts this CommandParam to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.CommandParam
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            CommandParam.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for CommandParam
             * @function getTypeUrl
             * @memberof tianzhong.v1.CommandParam
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            CommandParam.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.CommandParam";
            };

            return CommandParam;
        })();

        v1.Command = (function() {

            /**
             * Properties of a Command.
             * @memberof tianzhong.v1
             * @interface ICommand
             * @property {string|null} [commandId] Command commandId
             * @property {string|null} [deviceId] Command deviceId
             * @property {string|null} [name] Command name
             * @property {Array.<tianzhong.v1.ICommandParam>|null} [params] Command params
             * @property {number|null} [issuedAtMs] Command issuedAtMs
             * @property {number|null} [expiresAtMs] Command expiresAtMs
             */

            /**
             * Constructs a new Command.
             * @memberof tianzhong.v1
             * @classdesc Represents a Command.
             * @implements ICommand
             * @constructor
             * @param {tianzhong.v1.ICommand=} [p] Properties to set
             */
            function Command(p) {
                this.params = [];
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * Command commandId.
             * @member {string} commandId
             * @memberof tianzhong.v1.Command
             * @instance
             */
            Command.prototype.commandId = "";

            /**
             * Command deviceId.
             * @member {string} deviceId
             * @memberof tianzhong.v1.Command
             * @instance
             */
            Command.prototype.deviceId = "";

            /**
             * Command name.
             * @member {string} name
             * @memberof tianzhong.v1.Command
             * @instance
             */
            Command.prototype.name = "";

            /**
             * Command params.
             * @member {Array.<tianzhong.v1.ICommandParam>} params
             * @memberof tianzhong.v1.Command
             * @instance
             */
            Command.prototype.params = $util.emptyArray;

            /**
             * Command issuedAtMs.
             * @member {number} issuedAtMs
             * @memberof tianzhong.v1.Command
             * @instance
             */
            Command.prototype.issuedAtMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Command expiresAtMs.
             * @member {number} expiresAtMs
             * @memberof tianzhong.v1.Command
             * @instance
             */
            Command.prototype.expiresAtMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Creates a new Command instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.Command
             * @static
             * @param {tianzhong.v1.ICommand=} [properties] Properties to set
             * @returns {tianzhong.v1.Command} Command instance
             */
            Command.create = function create(properties) {
                return new Command(properties);
            };

            /**
             * Encodes the specified Command message. Does not implicitly {@link tianzhong.v1.Command.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.Command
             * @static
             * @param {tianzhong.v1.ICommand} m Command message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Command.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.commandId != null && Object.hasOwnProperty.call(m, "commandId"))
                    w.uint32(10).string(m.commandId);
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId"))
                    w.uint32(18).string(m.deviceId);
                if (m.name != null && Object.hasOwnProperty.call(m, "name"))
                    w.uint32(26).string(m.name);
                if (m.params != null && m.params.length) {
                    for (var i = 0; i < m.params.length; ++i)
                        $root.tianzhong.v1.CommandParam.encode(m.params[i], w.uint32(34).fork(), q + 1).ldelim();
                }
                if (m.issuedAtMs != null && Object.hasOwnProperty.call(m, "issuedAtMs"))
                    w.uint32(40).int64(m.issuedAtMs);
                if (m.expiresAtMs != null && Object.hasOwnProperty.call(m, "expiresAtMs"))
                    w.uint32(48).int64(m.expiresAtMs);
                return w;
            };

            /**
             * Decodes a Command message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.Command
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.Command} Command
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Command.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.Command();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.commandId = r.string();
                            break;
                        }
                    case 2: {
                            m.deviceId = r.string();
                            break;
                        }
                    case 3: {
                            m.name = r.string();
                            break;
                        }
                    case 4: {
                            if (!(m.params && m.params.length))
                                m.params = [];
                            m.params.push($root.tianzhong.v1.CommandParam.decode(r, r.uint32(), undefined, n + 1));
                            break;
                        }
                    case 5: {
                            m.issuedAtMs = r.int64();
                            break;
                        }
                    case 6: {
                            m.expiresAtMs = r.int64();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a Command message.
             * @function verify
             * @memberof tianzhong.v1.Command
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            Command.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.commandId != null && Object.hasOwnProperty.call(m, "commandId")) {
                    if (!$util.isString(m.commandId))
                        return "commandId: string expected";
                }
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    if (!$util.isString(m.deviceId))
                        return "deviceId: string expected";
                }
                if (m.name != null && Object.hasOwnProperty.call(m, "name")) {
                    if (!$util.isString(m.name))
                        return "name: string expected";
                }
                if (m.params != null && Object.hasOwnProperty.call(m, "params")) {
                    if (!Array.isArray(m.params))
                        return "params: array expected";
                    for (var i = 0; i < m.params.length; ++i) {
                        {
                            var e = $root.tianzhong.v1.CommandParam.verify(m.params[i], n + 1);
                            if (e)
                                return "params." + e;
                        }
                    }
                }
                if (m.issuedAtMs != null && Object.hasOwnProperty.call(m, "issuedAtMs")) {
                    if (!$util.isInteger(m.issuedAtMs) && !(m.issuedAtMs && $util.isInteger(m.issuedAtMs.low) && $util.isInteger(m.issuedAtMs.high)))
                        return "issuedAtMs: integer|Long expected";
                }
                if (m.expiresAtMs != null && Object.hasOwnProperty.call(m, "expiresAtMs")) {
                    if (!$util.isInteger(m.expiresAtMs) && !(m.expiresAtMs && $util.isInteger(m.expiresAtMs.low) && $util.isInteger(m.expiresAtMs.high)))
                        return "expiresAtMs: integer|Long expected";
                }
                return null;
            };

            /**
             * Creates a Command message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.Command
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.Command} Command
             */
            Command.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.Command)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.Command: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.Command();
                if (d.commandId != null) {
                    m.commandId = String(d.commandId);
                }
                if (d.deviceId != null) {
                    m.deviceId = String(d.deviceId);
                }
                if (d.name != null) {
                    m.name = String(d.name);
                }
                if (d.params) {
                    if (!Array.isArray(d.params))
                        throw TypeError(".tianzhong.v1.Command.params: array expected");
                    m.params = [];
                    for (var i = 0; i < d.params.length; ++i) {
                        if (!$util.isObject(d.params[i]))
                            throw TypeError(".tianzhong.v1.Command.params: object expected");
                        m.params[i] = $root.tianzhong.v1.CommandParam.fromObject(d.params[i], n + 1);
                    }
                }
                if (d.issuedAtMs != null) {
                    if ($util.Long)
                        m.issuedAtMs = $util.Long.fromValue(d.issuedAtMs, false);
                    else if (typeof d.issuedAtMs === "string")
                        m.issuedAtMs = parseInt(d.issuedAtMs, 10);
                    else if (typeof d.issuedAtMs === "number")
                        m.issuedAtMs = d.issuedAtMs;
                    else if (typeof d.issuedAtMs === "object")
                        m.issuedAtMs = new $util.LongBits(d.issuedAtMs.low >>> 0, d.issuedAtMs.high >>> 0).toNumber();
                }
                if (d.expiresAtMs != null) {
                    if ($util.Long)
                        m.expiresAtMs = $util.Long.fromValue(d.expiresAtMs, false);
                    else if (typeof d.expiresAtMs === "string")
                        m.expiresAtMs = parseInt(d.expiresAtMs, 10);
                    else if (typeof d.expiresAtMs === "number")
                        m.expiresAtMs = d.expiresAtMs;
                    else if (typeof d.expiresAtMs === "object")
                        m.expiresAtMs = new $util.LongBits(d.expiresAtMs.low >>> 0, d.expiresAtMs.high >>> 0).toNumber();
                }
                return m;
            };

            /**
             * Creates a plain object from a Command message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.Command
             * @static
             * @param {tianzhong.v1.Command} m Command
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            Command.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.arrays || o.defaults) {
                    d.params = [];
                }
                if (o.defaults) {
                    d.commandId = "";
                    d.deviceId = "";
                    d.name = "";
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.issuedAtMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.issuedAtMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.expiresAtMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.expiresAtMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                }
                if (m.commandId != null && Object.hasOwnProperty.call(m, "commandId")) {
                    d.commandId = m.commandId;
                }
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    d.deviceId = m.deviceId;
                }
                if (m.name != null && Object.hasOwnProperty.call(m, "name")) {
                    d.name = m.name;
                }
                if (m.params && m.params.length) {
                    d.params = [];
                    for (var j = 0; j < m.params.length; ++j) {
                        d.params[j] = $root.tianzhong.v1.CommandParam.toObject(m.params[j], o, q + 1);
                    }
                }
                if (m.issuedAtMs != null && Object.hasOwnProperty.call(m, "issuedAtMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.issuedAtMs = typeof m.issuedAtMs === "number" ? BigInt(m.issuedAtMs) : $util.Long.fromBits(m.issuedAtMs.low >>> 0, m.issuedAtMs.high >>> 0, false).toBigInt();
                    else if (typeof m.issuedAtMs === "number")
                        d.issuedAtMs = o.longs === String ? String(m.issuedAtMs) : m.issuedAtMs;
                    else
                        d.issuedAtMs = o.longs === String ? $util.Long.prototype.toString.call(m.issuedAtMs) : o.longs === Number ? new $util.LongBits(m.issuedAtMs.low >>> 0, m.issuedAtMs.high >>> 0).toNumber() : m.issuedAtMs;
                }
                if (m.expiresAtMs != null && Object.hasOwnProperty.call(m, "expiresAtMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.expiresAtMs = typeof m.expiresAtMs === "number" ? BigInt(m.expiresAtMs) : $util.Long.fromBits(m.expiresAtMs.low >>> 0, m.expiresAtMs.high >>> 0, false).toBigInt();
                    else if (typeof m.expiresAtMs === "number")
                        d.expiresAtMs = o.longs === String ? String(m.expiresAtMs) : m.expiresAtMs;
                    else
                        d.expiresAtMs = o.longs === String ? $util.Long.prototype.toString.call(m.expiresAtMs) : o.longs === Number ? new $util.LongBits(m.expiresAtMs.low >>> 0, m.expiresAtMs.high >>> 0).toNumber() : m.expiresAtMs;
                }
                return d;
            };

            /**
             * Converts this Command to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.Command
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            Command.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for Command
             * @function getTypeUrl
             * @memberof tianzhong.v1.Command
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Command.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.Command";
            };

            return Command;
        })();

        /**
         * CommandResult enum.
         * @name tianzhong.v1.CommandResult
         * @enum {number}
         * @property {number} COMMAND_RESULT_UNKNOWN=0 COMMAND_RESULT_UNKNOWN value
         * @property {number} COMMAND_RESULT_OK=1 COMMAND_RESULT_OK value
         * @property {number} COMMAND_RESULT_REJECTED=2 COMMAND_RESULT_REJECTED value
         * @property {number} COMMAND_RESULT_TIMED_OUT=3 COMMAND_RESULT_TIMED_OUT value
         * @property {number} COMMAND_RESULT_FAILED=4 COMMAND_RESULT_FAILED value
         */
        v1.CommandResult = (function() {
            const valuesById = {}, values = Object.create(valuesById);
            values[valuesById[0] = "COMMAND_RESULT_UNKNOWN"] = 0;
            values[valuesById[1] = "COMMAND_RESULT_OK"] = 1;
            values[valuesById[2] = "COMMAND_RESULT_REJECTED"] = 2;
            values[valuesById[3] = "COMMAND_RESULT_TIMED_OUT"] = 3;
            values[valuesById[4] = "COMMAND_RESULT_FAILED"] = 4;
            return values;
        })();

        v1.CommandAck = (function() {

            /**
             * Properties of a CommandAck.
             * @memberof tianzhong.v1
             * @interface ICommandAck
             * @property {string|null} [commandId] CommandAck commandId
             * @property {string|null} [deviceId] CommandAck deviceId
             * @property {tianzhong.v1.CommandResult|null} [result] CommandAck result
             * @property {string|null} [reason] CommandAck reason
             * @property {number|null} [timestampMs] CommandAck timestampMs
             */

            /**
             * Constructs a new CommandAck.
             * @memberof tianzhong.v1
             * @classdesc Represents a CommandAck.
             * @implements ICommandAck
             * @constructor
             * @param {tianzhong.v1.ICommandAck=} [p] Properties to set
             */
            function CommandAck(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * CommandAck commandId.
             * @member {string} commandId
             * @memberof tianzhong.v1.CommandAck
             * @instance
             */
            CommandAck.prototype.commandId = "";

            /**
             * CommandAck deviceId.
             * @member {string} deviceId
             * @memberof tianzhong.v1.CommandAck
             * @instance
             */
            CommandAck.prototype.deviceId = "";

            /**
             * CommandAck result.
             * @member {tianzhong.v1.CommandResult} result
             * @memberof tianzhong.v1.CommandAck
             * @instance
             */
            CommandAck.prototype.result = 0;

            /**
             * CommandAck reason.
             * @member {string} reason
             * @memberof tianzhong.v1.CommandAck
             * @instance
             */
            CommandAck.prototype.reason = "";

            /**
             * CommandAck timestampMs.
             * @member {number} timestampMs
             * @memberof tianzhong.v1.CommandAck
             * @instance
             */
            CommandAck.prototype.timestampMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Creates a new CommandAck instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.CommandAck
             * @static
             * @param {tianzhong.v1.ICommandAck=} [properties] Properties to set
             * @returns {tianzhong.v1.CommandAck} CommandAck instance
             */
            CommandAck.create = function create(properties) {
                return new CommandAck(properties);
            };

            /**
             * Encodes the specified CommandAck message. Does not implicitly {@link tianzhong.v1.CommandAck.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.CommandAck
             * @static
             * @param {tianzhong.v1.ICommandAck} m CommandAck message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            CommandAck.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.commandId != null && Object.hasOwnProperty.call(m, "commandId"))
                    w.uint32(10).string(m.commandId);
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId"))
                    w.uint32(18).string(m.deviceId);
                if (m.result != null && Object.hasOwnProperty.call(m, "result"))
                    w.uint32(24).int32(m.result);
                if (m.reason != null && Object.hasOwnProperty.call(m, "reason"))
                    w.uint32(34).string(m.reason);
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs"))
                    w.uint32(40).int64(m.timestampMs);
                return w;
            };

            /**
             * Decodes a CommandAck message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.CommandAck
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.CommandAck} CommandAck
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            CommandAck.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.CommandAck();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.commandId = r.string();
                            break;
                        }
                    case 2: {
                            m.deviceId = r.string();
                            break;
                        }
                    case 3: {
                            m.result = r.int32();
                            break;
                        }
                    case 4: {
                            m.reason = r.string();
                            break;
                        }
                    case 5: {
                            m.timestampMs = r.int64();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a CommandAck message.
             * @function verify
             * @memberof tianzhong.v1.CommandAck
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            CommandAck.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.commandId != null && Object.hasOwnProperty.call(m, "commandId")) {
                    if (!$util.isString(m.commandId))
                        return "commandId: string expected";
                }
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    if (!$util.isString(m.deviceId))
                        return "deviceId: string expected";
                }
                if (m.result != null && Object.hasOwnProperty.call(m, "result")) {
                    switch (m.result) {
                    default:
                        return "result: enum value expected";
                    case 0:
                    case 1:
                    case 2:
                    case 3:
                    case 4:
                        break;
                    }
                }
                if (m.reason != null && Object.hasOwnProperty.call(m, "reason")) {
                    if (!$util.isString(m.reason))
                        return "reason: string expected";
                }
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs")) {
                    if (!$util.isInteger(m.timestampMs) && !(m.timestampMs && $util.isInteger(m.timestampMs.low) && $util.isInteger(m.timestampMs.high)))
                        return "timestampMs: integer|Long expected";
                }
                return null;
            };

            /**
             * Creates a CommandAck message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.CommandAck
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.CommandAck} CommandAck
             */
            CommandAck.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.CommandAck)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.CommandAck: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.CommandAck();
                if (d.commandId != null) {
                    m.commandId = String(d.commandId);
                }
                if (d.deviceId != null) {
                    m.deviceId = String(d.deviceId);
                }
                switch (d.result) {
                default:
                    if (typeof d.result === "number") {
                        m.result = d.result;
                        break;
                    }
                    break;
                case "COMMAND_RESULT_UNKNOWN":
                case 0:
                    m.result = 0;
                    break;
                case "COMMAND_RESULT_OK":
                case 1:
                    m.result = 1;
                    break;
                case "COMMAND_RESULT_REJECTED":
                case 2:
                    m.result = 2;
                    break;
                case "COMMAND_RESULT_TIMED_OUT":
                case 3:
                    m.result = 3;
                    break;
                case "COMMAND_RESULT_FAILED":
                case 4:
                    m.result = 4;
                    break;
                }
                if (d.reason != null) {
                    m.reason = String(d.reason);
                }
                if (d.timestampMs != null) {
                    if ($util.Long)
                        m.timestampMs = $util.Long.fromValue(d.timestampMs, false);
                    else if (typeof d.timestampMs === "string")
                        m.timestampMs = parseInt(d.timestampMs, 10);
                    else if (typeof d.timestampMs === "number")
                        m.timestampMs = d.timestampMs;
                    else if (typeof d.timestampMs === "object")
                        m.timestampMs = new $util.LongBits(d.timestampMs.low >>> 0, d.timestampMs.high >>> 0).toNumber();
                }
                return m;
            };

            /**
             * Creates a plain object from a CommandAck message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.CommandAck
             * @static
             * @param {tianzhong.v1.CommandAck} m CommandAck
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            CommandAck.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.commandId = "";
                    d.deviceId = "";
                    d.result = o.enums === String ? "COMMAND_RESULT_UNKNOWN" : 0;
                    d.reason = "";
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.timestampMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.timestampMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                }
                if (m.commandId != null && Object.hasOwnProperty.call(m, "commandId")) {
                    d.commandId = m.commandId;
                }
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    d.deviceId = m.deviceId;
                }
                if (m.result != null && Object.hasOwnProperty.call(m, "result")) {
                    d.result = o.enums === String ? $root.tianzhong.v1.CommandResult[m.result] === undefined ? m.result : $root.tianzhong.v1.CommandResult[m.result] : m.result;
                }
                if (m.reason != null && Object.hasOwnProperty.call(m, "reason")) {
                    d.reason = m.reason;
                }
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.timestampMs = typeof m.timestampMs === "number" ? BigInt(m.timestampMs) : $util.Long.fromBits(m.timestampMs.low >>> 0, m.timestampMs.high >>> 0, false).toBigInt();
                    else if (typeof m.timestampMs === "number")
                        d.timestampMs = o.longs === String ? String(m.timestampMs) : m.timestampMs;
                    else
                        d.timestampMs = o.longs === String ? $util.Long.prototype.toString.call(m.timestampMs) : o.longs === Number ? new $util.LongBits(m.timestampMs.low >>> 0, m.timestampMs.high >>> 0).toNumber() : m.timestampMs;
                }
                return d;
            };

            /**
             * Converts this CommandAck to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.CommandAck
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            CommandAck.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for CommandAck
             * @function getTypeUrl
             * @memberof tianzhong.v1.CommandAck
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            CommandAck.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.CommandAck";
            };

            return CommandAck;
        })();

        v1.MetricValue = (function() {

            /**
             * Properties of a MetricValue.
             * @memberof tianzhong.v1
             * @interface IMetricValue
             * @property {string|null} [name] MetricValue name
             * @property {number|null} [number] MetricValue number
             * @property {boolean|null} [flag] MetricValue flag
             * @property {number|null} [integer] MetricValue integer
             * @property {number|null} [index] MetricValue index
             */

            /**
             * Constructs a new MetricValue.
             * @memberof tianzhong.v1
             * @classdesc Represents a MetricValue.
             * @implements IMetricValue
             * @constructor
             * @param {tianzhong.v1.IMetricValue=} [p] Properties to set
             */
            function MetricValue(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * MetricValue name.
             * @member {string} name
             * @memberof tianzhong.v1.MetricValue
             * @instance
             */
            MetricValue.prototype.name = "";

            /**
             * MetricValue number.
             * @member {number|null|undefined} number
             * @memberof tianzhong.v1.MetricValue
             * @instance
             */
            MetricValue.prototype.number = null;

            /**
             * MetricValue flag.
             * @member {boolean|null|undefined} flag
             * @memberof tianzhong.v1.MetricValue
             * @instance
             */
            MetricValue.prototype.flag = null;

            /**
             * MetricValue integer.
             * @member {number|null|undefined} integer
             * @memberof tianzhong.v1.MetricValue
             * @instance
             */
            MetricValue.prototype.integer = null;

            /**
             * MetricValue index.
             * @member {number} index
             * @memberof tianzhong.v1.MetricValue
             * @instance
             */
            MetricValue.prototype.index = 0;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            /**
             * MetricValue value.
             * @member {"number"|"flag"|"integer"|undefined} value
             * @memberof tianzhong.v1.MetricValue
             * @instance
             */
            Object.defineProperty(MetricValue.prototype, "value", {
                get: $util.oneOfGetter($oneOfFields = ["number", "flag", "integer"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new MetricValue instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.MetricValue
             * @static
             * @param {tianzhong.v1.IMetricValue=} [properties] Properties to set
             * @returns {tianzhong.v1.MetricValue} MetricValue instance
             */
            MetricValue.create = function create(properties) {
                return new MetricValue(properties);
            };

            /**
             * Encodes the specified MetricValue message. Does not implicitly {@link tianzhong.v1.MetricValue.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.MetricValue
             * @static
             * @param {tianzhong.v1.IMetricValue} m MetricValue message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            MetricValue.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.name != null && Object.hasOwnProperty.call(m, "name"))
                    w.uint32(10).string(m.name);
                if (m.number != null && Object.hasOwnProperty.call(m, "number"))
                    w.uint32(17).double(m.number);
                if (m.flag != null && Object.hasOwnProperty.call(m, "flag"))
                    w.uint32(24).bool(m.flag);
                if (m.integer != null && Object.hasOwnProperty.call(m, "integer"))
                    w.uint32(32).sint64(m.integer);
                if (m.index != null && Object.hasOwnProperty.call(m, "index"))
                    w.uint32(40).uint32(m.index);
                return w;
            };

            /**
             * Decodes a MetricValue message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.MetricValue
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.MetricValue} MetricValue
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            MetricValue.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.MetricValue();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.name = r.string();
                            break;
                        }
                    case 2: {
                            m.number = r.double();
                            break;
                        }
                    case 3: {
                            m.flag = r.bool();
                            break;
                        }
                    case 4: {
                            m.integer = r.sint64();
                            break;
                        }
                    case 5: {
                            m.index = r.uint32();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a MetricValue message.
             * @function verify
             * @memberof tianzhong.v1.MetricValue
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            MetricValue.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                var p = {};
                if (m.name != null && Object.hasOwnProperty.call(m, "name")) {
                    if (!$util.isString(m.name))
                        return "name: string expected";
                }
                if (m.number != null && Object.hasOwnProperty.call(m, "number")) {
                    p.value = 1;
                    if (typeof m.number !== "number")
                        return "number: number expected";
                }
                if (m.flag != null && Object.hasOwnProperty.call(m, "flag")) {
                    if (p.value === 1)
                        return "value: multiple values";
                    p.value = 1;
                    if (typeof m.flag !== "boolean")
                        return "flag: boolean expected";
                }
                if (m.integer != null && Object.hasOwnProperty.call(m, "integer")) {
                    if (p.value === 1)
                        return "value: multiple values";
                    p.value = 1;
                    if (!$util.isInteger(m.integer) && !(m.integer && $util.isInteger(m.integer.low) && $util.isInteger(m.integer.high)))
                        return "integer: integer|Long expected";
                }
                if (m.index != null && Object.hasOwnProperty.call(m, "index")) {
                    if (!$util.isInteger(m.index))
                        return "index: integer expected";
                }
                return null;
            };

            /**
             * Creates a MetricValue message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.MetricValue
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.MetricValue} MetricValue
             */
            MetricValue.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.MetricValue)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.MetricValue: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.MetricValue();
                if (d.name != null) {
                    m.name = String(d.name);
                }
                if (d.number != null) {
                    m.number = Number(d.number);
                }
                if (d.flag != null) {
                    m.flag = Boolean(d.flag);
                }
                if (d.integer != null) {
                    if ($util.Long)
                        m.integer = $util.Long.fromValue(d.integer, false);
                    else if (typeof d.integer === "string")
                        m.integer = parseInt(d.integer, 10);
                    else if (typeof d.integer === "number")
                        m.integer = d.integer;
                    else if (typeof d.integer === "object")
                        m.integer = new $util.LongBits(d.integer.low >>> 0, d.integer.high >>> 0).toNumber();
                }
                if (d.index != null) {
                    m.index = d.index >>> 0;
                }
                return m;
            };

            /**
             * Creates a plain object from a MetricValue message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.MetricValue
             * @static
             * @param {tianzhong.v1.MetricValue} m MetricValue
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            MetricValue.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.name = "";
                    d.index = 0;
                }
                if (m.name != null && Object.hasOwnProperty.call(m, "name")) {
                    d.name = m.name;
                }
                if (m.number != null && Object.hasOwnProperty.call(m, "number")) {
                    d.number = o.json && !isFinite(m.number) ? String(m.number) : m.number;
                    if (o.oneofs)
                        d.value = "number";
                }
                if (m.flag != null && Object.hasOwnProperty.call(m, "flag")) {
                    d.flag = m.flag;
                    if (o.oneofs)
                        d.value = "flag";
                }
                if (m.integer != null && Object.hasOwnProperty.call(m, "integer")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.integer = typeof m.integer === "number" ? BigInt(m.integer) : $util.Long.fromBits(m.integer.low >>> 0, m.integer.high >>> 0, false).toBigInt();
                    else if (typeof m.integer === "number")
                        d.integer = o.longs === String ? String(m.integer) : m.integer;
                    else
                        d.integer = o.longs === String ? $util.Long.prototype.toString.call(m.integer) : o.longs === Number ? new $util.LongBits(m.integer.low >>> 0, m.integer.high >>> 0).toNumber() : m.integer;
                    if (o.oneofs)
                        d.value = "integer";
                }
                if (m.index != null && Object.hasOwnProperty.call(m, "index")) {
                    d.index = m.index;
                }
                return d;
            };

            /**
             * Converts this MetricValue to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.MetricValue
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            MetricValue.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for MetricValue
             * @function getTypeUrl
             * @memberof tianzhong.v1.MetricValue
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            MetricValue.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.MetricValue";
            };

            return MetricValue;
        })();

        v1.Reading = (function() {

            /**
             * Properties of a Reading.
             * @memberof tianzhong.v1
             * @interface IReading
             * @property {string|null} [deviceId] Reading deviceId
             * @property {string|null} [profile] Reading profile
             * @property {number|null} [profileVersion] Reading profileVersion
             * @property {number|null} [timestampMs] Reading timestampMs
             * @property {number|null} [seq] Reading seq
             * @property {string|null} [district] Reading district
             * @property {Array.<tianzhong.v1.IMetricValue>|null} [metrics] Reading metrics
             */

            /**
             * Constructs a new Reading.
             * @memberof tianzhong.v1
             * @classdesc Represents a Reading.
             * @implements IReading
             * @constructor
             * @param {tianzhong.v1.IReading=} [p] Properties to set
             */
            function Reading(p) {
                this.metrics = [];
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * Reading deviceId.
             * @member {string} deviceId
             * @memberof tianzhong.v1.Reading
             * @instance
             */
            Reading.prototype.deviceId = "";

            /**
             * Reading profile.
             * @member {string} profile
             * @memberof tianzhong.v1.Reading
             * @instance
             */
            Reading.prototype.profile = "";

            /**
             * Reading profileVersion.
             * @member {number} profileVersion
             * @memberof tianzhong.v1.Reading
             * @instance
             */
            Reading.prototype.profileVersion = 0;

            /**
             * Reading timestampMs.
             * @member {number} timestampMs
             * @memberof tianzhong.v1.Reading
             * @instance
             */
            Reading.prototype.timestampMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * Reading seq.
             * @member {number} seq
             * @memberof tianzhong.v1.Reading
             * @instance
             */
            Reading.prototype.seq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * Reading district.
             * @member {string} district
             * @memberof tianzhong.v1.Reading
             * @instance
             */
            Reading.prototype.district = "";

            /**
             * Reading metrics.
             * @member {Array.<tianzhong.v1.IMetricValue>} metrics
             * @memberof tianzhong.v1.Reading
             * @instance
             */
            Reading.prototype.metrics = $util.emptyArray;

            /**
             * Creates a new Reading instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.Reading
             * @static
             * @param {tianzhong.v1.IReading=} [properties] Properties to set
             * @returns {tianzhong.v1.Reading} Reading instance
             */
            Reading.create = function create(properties) {
                return new Reading(properties);
            };

            /**
             * Encodes the specified Reading message. Does not implicitly {@link tianzhong.v1.Reading.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.Reading
             * @static
             * @param {tianzhong.v1.IReading} m Reading message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            Reading.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId"))
                    w.uint32(10).string(m.deviceId);
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile"))
                    w.uint32(18).string(m.profile);
                if (m.profileVersion != null && Object.hasOwnProperty.call(m, "profileVersion"))
                    w.uint32(24).uint32(m.profileVersion);
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs"))
                    w.uint32(32).int64(m.timestampMs);
                if (m.seq != null && Object.hasOwnProperty.call(m, "seq"))
                    w.uint32(40).uint64(m.seq);
                if (m.district != null && Object.hasOwnProperty.call(m, "district"))
                    w.uint32(50).string(m.district);
                if (m.metrics != null && m.metrics.length) {
                    for (var i = 0; i < m.metrics.length; ++i)
                        $root.tianzhong.v1.MetricValue.encode(m.metrics[i], w.uint32(58).fork(), q + 1).ldelim();
                }
                return w;
            };

            /**
             * Decodes a Reading message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.Reading
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.Reading} Reading
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            Reading.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.Reading();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.deviceId = r.string();
                            break;
                        }
                    case 2: {
                            m.profile = r.string();
                            break;
                        }
                    case 3: {
                            m.profileVersion = r.uint32();
                            break;
                        }
                    case 4: {
                            m.timestampMs = r.int64();
                            break;
                        }
                    case 5: {
                            m.seq = r.uint64();
                            break;
                        }
                    case 6: {
                            m.district = r.string();
                            break;
                        }
                    case 7: {
                            if (!(m.metrics && m.metrics.length))
                                m.metrics = [];
                            m.metrics.push($root.tianzhong.v1.MetricValue.decode(r, r.uint32(), undefined, n + 1));
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a Reading message.
             * @function verify
             * @memberof tianzhong.v1.Reading
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            Reading.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    if (!$util.isString(m.deviceId))
                        return "deviceId: string expected";
                }
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile")) {
                    if (!$util.isString(m.profile))
                        return "profile: string expected";
                }
                if (m.profileVersion != null && Object.hasOwnProperty.call(m, "profileVersion")) {
                    if (!$util.isInteger(m.profileVersion))
                        return "profileVersion: integer expected";
                }
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs")) {
                    if (!$util.isInteger(m.timestampMs) && !(m.timestampMs && $util.isInteger(m.timestampMs.low) && $util.isInteger(m.timestampMs.high)))
                        return "timestampMs: integer|Long expected";
                }
                if (m.seq != null && Object.hasOwnProperty.call(m, "seq")) {
                    if (!$util.isInteger(m.seq) && !(m.seq && $util.isInteger(m.seq.low) && $util.isInteger(m.seq.high)))
                        return "seq: integer|Long expected";
                }
                if (m.district != null && Object.hasOwnProperty.call(m, "district")) {
                    if (!$util.isString(m.district))
                        return "district: string expected";
                }
                if (m.metrics != null && Object.hasOwnProperty.call(m, "metrics")) {
                    if (!Array.isArray(m.metrics))
                        return "metrics: array expected";
                    for (var i = 0; i < m.metrics.length; ++i) {
                        {
                            var e = $root.tianzhong.v1.MetricValue.verify(m.metrics[i], n + 1);
                            if (e)
                                return "metrics." + e;
                        }
                    }
                }
                return null;
            };

            /**
             * Creates a Reading message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.Reading
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.Reading} Reading
             */
            Reading.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.Reading)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.Reading: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.Reading();
                if (d.deviceId != null) {
                    m.deviceId = String(d.deviceId);
                }
                if (d.profile != null) {
                    m.profile = String(d.profile);
                }
                if (d.profileVersion != null) {
                    m.profileVersion = d.profileVersion >>> 0;
                }
                if (d.timestampMs != null) {
                    if ($util.Long)
                        m.timestampMs = $util.Long.fromValue(d.timestampMs, false);
                    else if (typeof d.timestampMs === "string")
                        m.timestampMs = parseInt(d.timestampMs, 10);
                    else if (typeof d.timestampMs === "number")
                        m.timestampMs = d.timestampMs;
                    else if (typeof d.timestampMs === "object")
                        m.timestampMs = new $util.LongBits(d.timestampMs.low >>> 0, d.timestampMs.high >>> 0).toNumber();
                }
                if (d.seq != null) {
                    if ($util.Long)
                        m.seq = $util.Long.fromValue(d.seq, true);
                    else if (typeof d.seq === "string")
                        m.seq = parseInt(d.seq, 10);
                    else if (typeof d.seq === "number")
                        m.seq = d.seq;
                    else if (typeof d.seq === "object")
                        m.seq = new $util.LongBits(d.seq.low >>> 0, d.seq.high >>> 0).toNumber(true);
                }
                if (d.district != null) {
                    m.district = String(d.district);
                }
                if (d.metrics) {
                    if (!Array.isArray(d.metrics))
                        throw TypeError(".tianzhong.v1.Reading.metrics: array expected");
                    m.metrics = [];
                    for (var i = 0; i < d.metrics.length; ++i) {
                        if (!$util.isObject(d.metrics[i]))
                            throw TypeError(".tianzhong.v1.Reading.metrics: object expected");
                        m.metrics[i] = $root.tianzhong.v1.MetricValue.fromObject(d.metrics[i], n + 1);
                    }
                }
                return m;
            };

            /**
             * Creates a plain object from a Reading message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.Reading
             * @static
             * @param {tianzhong.v1.Reading} m Reading
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            Reading.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.arrays || o.defaults) {
                    d.metrics = [];
                }
                if (o.defaults) {
                    d.deviceId = "";
                    d.profile = "";
                    d.profileVersion = 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.timestampMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.timestampMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.seq = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.seq = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    d.district = "";
                }
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    d.deviceId = m.deviceId;
                }
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile")) {
                    d.profile = m.profile;
                }
                if (m.profileVersion != null && Object.hasOwnProperty.call(m, "profileVersion")) {
                    d.profileVersion = m.profileVersion;
                }
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.timestampMs = typeof m.timestampMs === "number" ? BigInt(m.timestampMs) : $util.Long.fromBits(m.timestampMs.low >>> 0, m.timestampMs.high >>> 0, false).toBigInt();
                    else if (typeof m.timestampMs === "number")
                        d.timestampMs = o.longs === String ? String(m.timestampMs) : m.timestampMs;
                    else
                        d.timestampMs = o.longs === String ? $util.Long.prototype.toString.call(m.timestampMs) : o.longs === Number ? new $util.LongBits(m.timestampMs.low >>> 0, m.timestampMs.high >>> 0).toNumber() : m.timestampMs;
                }
                if (m.seq != null && Object.hasOwnProperty.call(m, "seq")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.seq = typeof m.seq === "number" ? BigInt(m.seq) : $util.Long.fromBits(m.seq.low >>> 0, m.seq.high >>> 0, true).toBigInt();
                    else if (typeof m.seq === "number")
                        d.seq = o.longs === String ? String(m.seq) : m.seq;
                    else
                        d.seq = o.longs === String ? $util.Long.prototype.toString.call(m.seq) : o.longs === Number ? new $util.LongBits(m.seq.low >>> 0, m.seq.high >>> 0).toNumber(true) : m.seq;
                }
                if (m.district != null && Object.hasOwnProperty.call(m, "district")) {
                    d.district = m.district;
                }
                if (m.metrics && m.metrics.length) {
                    d.metrics = [];
                    for (var j = 0; j < m.metrics.length; ++j) {
                        d.metrics[j] = $root.tianzhong.v1.MetricValue.toObject(m.metrics[j], o, q + 1);
                    }
                }
                return d;
            };

            /**
             * Converts this Reading to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.Reading
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            Reading.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for Reading
             * @function getTypeUrl
             * @memberof tianzhong.v1.Reading
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            Reading.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.Reading";
            };

            return Reading;
        })();

        /**
         * DeviceErrorCode enum.
         * @name tianzhong.v1.DeviceErrorCode
         * @enum {number}
         * @property {number} DEVICE_ERROR_NONE=0 DEVICE_ERROR_NONE value
         * @property {number} DEVICE_ERROR_TIMEOUT=1 DEVICE_ERROR_TIMEOUT value
         * @property {number} DEVICE_ERROR_PROTOCOL=2 DEVICE_ERROR_PROTOCOL value
         * @property {number} DEVICE_ERROR_DECODE=3 DEVICE_ERROR_DECODE value
         * @property {number} DEVICE_ERROR_LINK=4 DEVICE_ERROR_LINK value
         */
        v1.DeviceErrorCode = (function() {
            const valuesById = {}, values = Object.create(valuesById);
            values[valuesById[0] = "DEVICE_ERROR_NONE"] = 0;
            values[valuesById[1] = "DEVICE_ERROR_TIMEOUT"] = 1;
            values[valuesById[2] = "DEVICE_ERROR_PROTOCOL"] = 2;
            values[valuesById[3] = "DEVICE_ERROR_DECODE"] = 3;
            values[valuesById[4] = "DEVICE_ERROR_LINK"] = 4;
            return values;
        })();

        /**
         * DeviceState enum.
         * @name tianzhong.v1.DeviceState
         * @enum {number}
         * @property {number} DEVICE_STATE_UNKNOWN=0 DEVICE_STATE_UNKNOWN value
         * @property {number} DEVICE_STATE_ONLINE=1 DEVICE_STATE_ONLINE value
         * @property {number} DEVICE_STATE_OFFLINE=2 DEVICE_STATE_OFFLINE value
         * @property {number} DEVICE_STATE_FAULT=3 DEVICE_STATE_FAULT value
         */
        v1.DeviceState = (function() {
            const valuesById = {}, values = Object.create(valuesById);
            values[valuesById[0] = "DEVICE_STATE_UNKNOWN"] = 0;
            values[valuesById[1] = "DEVICE_STATE_ONLINE"] = 1;
            values[valuesById[2] = "DEVICE_STATE_OFFLINE"] = 2;
            values[valuesById[3] = "DEVICE_STATE_FAULT"] = 3;
            return values;
        })();

        v1.DeviceStatus = (function() {

            /**
             * Properties of a DeviceStatus.
             * @memberof tianzhong.v1
             * @interface IDeviceStatus
             * @property {string|null} [deviceId] DeviceStatus deviceId
             * @property {string|null} [profile] DeviceStatus profile
             * @property {number|null} [timestampMs] DeviceStatus timestampMs
             * @property {tianzhong.v1.DeviceState|null} [state] DeviceStatus state
             * @property {tianzhong.v1.DeviceErrorCode|null} [error] DeviceStatus error
             * @property {string|null} [detail] DeviceStatus detail
             * @property {number|null} [batteryPct] DeviceStatus batteryPct
             * @property {number|null} [rssiDbm] DeviceStatus rssiDbm
             * @property {number|null} [snrDb] DeviceStatus snrDb
             */

            /**
             * Constructs a new DeviceStatus.
             * @memberof tianzhong.v1
             * @classdesc Represents a DeviceStatus.
             * @implements IDeviceStatus
             * @constructor
             * @param {tianzhong.v1.IDeviceStatus=} [p] Properties to set
             */
            function DeviceStatus(p) {
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * DeviceStatus deviceId.
             * @member {string} deviceId
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.deviceId = "";

            /**
             * DeviceStatus profile.
             * @member {string} profile
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.profile = "";

            /**
             * DeviceStatus timestampMs.
             * @member {number} timestampMs
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.timestampMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * DeviceStatus state.
             * @member {tianzhong.v1.DeviceState} state
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.state = 0;

            /**
             * DeviceStatus error.
             * @member {tianzhong.v1.DeviceErrorCode} error
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.error = 0;

            /**
             * DeviceStatus detail.
             * @member {string} detail
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.detail = "";

            /**
             * DeviceStatus batteryPct.
             * @member {number|null|undefined} batteryPct
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.batteryPct = null;

            /**
             * DeviceStatus rssiDbm.
             * @member {number|null|undefined} rssiDbm
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.rssiDbm = null;

            /**
             * DeviceStatus snrDb.
             * @member {number|null|undefined} snrDb
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             */
            DeviceStatus.prototype.snrDb = null;

            // OneOf field names bound to virtual getters and setters
            let $oneOfFields;

            // Virtual OneOf for proto3 optional field
            Object.defineProperty(DeviceStatus.prototype, "_batteryPct", {
                get: $util.oneOfGetter($oneOfFields = ["batteryPct"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            // Virtual OneOf for proto3 optional field
            Object.defineProperty(DeviceStatus.prototype, "_rssiDbm", {
                get: $util.oneOfGetter($oneOfFields = ["rssiDbm"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            // Virtual OneOf for proto3 optional field
            Object.defineProperty(DeviceStatus.prototype, "_snrDb", {
                get: $util.oneOfGetter($oneOfFields = ["snrDb"]),
                set: $util.oneOfSetter($oneOfFields)
            });

            /**
             * Creates a new DeviceStatus instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.DeviceStatus
             * @static
             * @param {tianzhong.v1.IDeviceStatus=} [properties] Properties to set
             * @returns {tianzhong.v1.DeviceStatus} DeviceStatus instance
             */
            DeviceStatus.create = function create(properties) {
                return new DeviceStatus(properties);
            };

            /**
             * Encodes the specified DeviceStatus message. Does not implicitly {@link tianzhong.v1.DeviceStatus.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.DeviceStatus
             * @static
             * @param {tianzhong.v1.IDeviceStatus} m DeviceStatus message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            DeviceStatus.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId"))
                    w.uint32(10).string(m.deviceId);
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile"))
                    w.uint32(18).string(m.profile);
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs"))
                    w.uint32(24).int64(m.timestampMs);
                if (m.state != null && Object.hasOwnProperty.call(m, "state"))
                    w.uint32(32).int32(m.state);
                if (m.error != null && Object.hasOwnProperty.call(m, "error"))
                    w.uint32(40).int32(m.error);
                if (m.detail != null && Object.hasOwnProperty.call(m, "detail"))
                    w.uint32(50).string(m.detail);
                if (m.batteryPct != null && Object.hasOwnProperty.call(m, "batteryPct"))
                    w.uint32(61).float(m.batteryPct);
                if (m.rssiDbm != null && Object.hasOwnProperty.call(m, "rssiDbm"))
                    w.uint32(69).float(m.rssiDbm);
                if (m.snrDb != null && Object.hasOwnProperty.call(m, "snrDb"))
                    w.uint32(77).float(m.snrDb);
                return w;
            };

            /**
             * Decodes a DeviceStatus message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.DeviceStatus
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.DeviceStatus} DeviceStatus
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            DeviceStatus.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.DeviceStatus();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.deviceId = r.string();
                            break;
                        }
                    case 2: {
                            m.profile = r.string();
                            break;
                        }
                    case 3: {
                            m.timestampMs = r.int64();
                            break;
                        }
                    case 4: {
                            m.state = r.int32();
                            break;
                        }
                    case 5: {
                            m.error = r.int32();
                            break;
                        }
                    case 6: {
                            m.detail = r.string();
                            break;
                        }
                    case 7: {
                            m.batteryPct = r.float();
                            break;
                        }
                    case 8: {
                            m.rssiDbm = r.float();
                            break;
                        }
                    case 9: {
                            m.snrDb = r.float();
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies a DeviceStatus message.
             * @function verify
             * @memberof tianzhong.v1.DeviceStatus
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            DeviceStatus.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                var p = {};
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    if (!$util.isString(m.deviceId))
                        return "deviceId: string expected";
                }
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile")) {
                    if (!$util.isString(m.profile))
                        return "profile: string expected";
                }
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs")) {
                    if (!$util.isInteger(m.timestampMs) && !(m.timestampMs && $util.isInteger(m.timestampMs.low) && $util.isInteger(m.timestampMs.high)))
                        return "timestampMs: integer|Long expected";
                }
                if (m.state != null && Object.hasOwnProperty.call(m, "state")) {
                    switch (m.state) {
                    default:
                        return "state: enum value expected";
                    case 0:
                    case 1:
                    case 2:
                    case 3:
                        break;
                    }
                }
                if (m.error != null && Object.hasOwnProperty.call(m, "error")) {
                    switch (m.error) {
                    default:
                        return "error: enum value expected";
                    case 0:
                    case 1:
                    case 2:
                    case 3:
                    case 4:
                        break;
                    }
                }
                if (m.detail != null && Object.hasOwnProperty.call(m, "detail")) {
                    if (!$util.isString(m.detail))
                        return "detail: string expected";
                }
                if (m.batteryPct != null && Object.hasOwnProperty.call(m, "batteryPct")) {
                    p._batteryPct = 1;
                    if (typeof m.batteryPct !== "number")
                        return "batteryPct: number expected";
                }
                if (m.rssiDbm != null && Object.hasOwnProperty.call(m, "rssiDbm")) {
                    p._rssiDbm = 1;
                    if (typeof m.rssiDbm !== "number")
                        return "rssiDbm: number expected";
                }
                if (m.snrDb != null && Object.hasOwnProperty.call(m, "snrDb")) {
                    p._snrDb = 1;
                    if (typeof m.snrDb !== "number")
                        return "snrDb: number expected";
                }
                return null;
            };

            /**
             * Creates a DeviceStatus message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.DeviceStatus
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.DeviceStatus} DeviceStatus
             */
            DeviceStatus.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.DeviceStatus)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.DeviceStatus: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.DeviceStatus();
                if (d.deviceId != null) {
                    m.deviceId = String(d.deviceId);
                }
                if (d.profile != null) {
                    m.profile = String(d.profile);
                }
                if (d.timestampMs != null) {
                    if ($util.Long)
                        m.timestampMs = $util.Long.fromValue(d.timestampMs, false);
                    else if (typeof d.timestampMs === "string")
                        m.timestampMs = parseInt(d.timestampMs, 10);
                    else if (typeof d.timestampMs === "number")
                        m.timestampMs = d.timestampMs;
                    else if (typeof d.timestampMs === "object")
                        m.timestampMs = new $util.LongBits(d.timestampMs.low >>> 0, d.timestampMs.high >>> 0).toNumber();
                }
                switch (d.state) {
                default:
                    if (typeof d.state === "number") {
                        m.state = d.state;
                        break;
                    }
                    break;
                case "DEVICE_STATE_UNKNOWN":
                case 0:
                    m.state = 0;
                    break;
                case "DEVICE_STATE_ONLINE":
                case 1:
                    m.state = 1;
                    break;
                case "DEVICE_STATE_OFFLINE":
                case 2:
                    m.state = 2;
                    break;
                case "DEVICE_STATE_FAULT":
                case 3:
                    m.state = 3;
                    break;
                }
                switch (d.error) {
                default:
                    if (typeof d.error === "number") {
                        m.error = d.error;
                        break;
                    }
                    break;
                case "DEVICE_ERROR_NONE":
                case 0:
                    m.error = 0;
                    break;
                case "DEVICE_ERROR_TIMEOUT":
                case 1:
                    m.error = 1;
                    break;
                case "DEVICE_ERROR_PROTOCOL":
                case 2:
                    m.error = 2;
                    break;
                case "DEVICE_ERROR_DECODE":
                case 3:
                    m.error = 3;
                    break;
                case "DEVICE_ERROR_LINK":
                case 4:
                    m.error = 4;
                    break;
                }
                if (d.detail != null) {
                    m.detail = String(d.detail);
                }
                if (d.batteryPct != null) {
                    m.batteryPct = Number(d.batteryPct);
                }
                if (d.rssiDbm != null) {
                    m.rssiDbm = Number(d.rssiDbm);
                }
                if (d.snrDb != null) {
                    m.snrDb = Number(d.snrDb);
                }
                return m;
            };

            /**
             * Creates a plain object from a DeviceStatus message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.DeviceStatus
             * @static
             * @param {tianzhong.v1.DeviceStatus} m DeviceStatus
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            DeviceStatus.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.defaults) {
                    d.deviceId = "";
                    d.profile = "";
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.timestampMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.timestampMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    d.state = o.enums === String ? "DEVICE_STATE_UNKNOWN" : 0;
                    d.error = o.enums === String ? "DEVICE_ERROR_NONE" : 0;
                    d.detail = "";
                }
                if (m.deviceId != null && Object.hasOwnProperty.call(m, "deviceId")) {
                    d.deviceId = m.deviceId;
                }
                if (m.profile != null && Object.hasOwnProperty.call(m, "profile")) {
                    d.profile = m.profile;
                }
                if (m.timestampMs != null && Object.hasOwnProperty.call(m, "timestampMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.timestampMs = typeof m.timestampMs === "number" ? BigInt(m.timestampMs) : $util.Long.fromBits(m.timestampMs.low >>> 0, m.timestampMs.high >>> 0, false).toBigInt();
                    else if (typeof m.timestampMs === "number")
                        d.timestampMs = o.longs === String ? String(m.timestampMs) : m.timestampMs;
                    else
                        d.timestampMs = o.longs === String ? $util.Long.prototype.toString.call(m.timestampMs) : o.longs === Number ? new $util.LongBits(m.timestampMs.low >>> 0, m.timestampMs.high >>> 0).toNumber() : m.timestampMs;
                }
                if (m.state != null && Object.hasOwnProperty.call(m, "state")) {
                    d.state = o.enums === String ? $root.tianzhong.v1.DeviceState[m.state] === undefined ? m.state : $root.tianzhong.v1.DeviceState[m.state] : m.state;
                }
                if (m.error != null && Object.hasOwnProperty.call(m, "error")) {
                    d.error = o.enums === String ? $root.tianzhong.v1.DeviceErrorCode[m.error] === undefined ? m.error : $root.tianzhong.v1.DeviceErrorCode[m.error] : m.error;
                }
                if (m.detail != null && Object.hasOwnProperty.call(m, "detail")) {
                    d.detail = m.detail;
                }
                if (m.batteryPct != null && Object.hasOwnProperty.call(m, "batteryPct")) {
                    d.batteryPct = o.json && !isFinite(m.batteryPct) ? String(m.batteryPct) : m.batteryPct;
                    if (o.oneofs)
                        d._batteryPct = "batteryPct";
                }
                if (m.rssiDbm != null && Object.hasOwnProperty.call(m, "rssiDbm")) {
                    d.rssiDbm = o.json && !isFinite(m.rssiDbm) ? String(m.rssiDbm) : m.rssiDbm;
                    if (o.oneofs)
                        d._rssiDbm = "rssiDbm";
                }
                if (m.snrDb != null && Object.hasOwnProperty.call(m, "snrDb")) {
                    d.snrDb = o.json && !isFinite(m.snrDb) ? String(m.snrDb) : m.snrDb;
                    if (o.oneofs)
                        d._snrDb = "snrDb";
                }
                return d;
            };

            /**
             * Converts this DeviceStatus to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.DeviceStatus
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            DeviceStatus.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for DeviceStatus
             * @function getTypeUrl
             * @memberof tianzhong.v1.DeviceStatus
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            DeviceStatus.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.DeviceStatus";
            };

            return DeviceStatus;
        })();

        v1.UplinkBatch = (function() {

            /**
             * Properties of an UplinkBatch.
             * @memberof tianzhong.v1
             * @interface IUplinkBatch
             * @property {string|null} [gatewayId] UplinkBatch gatewayId
             * @property {number|null} [batchSeq] UplinkBatch batchSeq
             * @property {number|null} [sentAtMs] UplinkBatch sentAtMs
             * @property {Array.<tianzhong.v1.IReading>|null} [readings] UplinkBatch readings
             * @property {Array.<tianzhong.v1.IDeviceStatus>|null} [statuses] UplinkBatch statuses
             */

            /**
             * Constructs a new UplinkBatch.
             * @memberof tianzhong.v1
             * @classdesc Represents an UplinkBatch.
             * @implements IUplinkBatch
             * @constructor
             * @param {tianzhong.v1.IUplinkBatch=} [p] Properties to set
             */
            function UplinkBatch(p) {
                this.readings = [];
                this.statuses = [];
                if (p)
                    for (var ks = Object.keys(p), i = 0; i < ks.length; ++i)
                        if (p[ks[i]] != null && ks[i] !== "__proto__")
                            this[ks[i]] = p[ks[i]];
            }

            /**
             * UplinkBatch gatewayId.
             * @member {string} gatewayId
             * @memberof tianzhong.v1.UplinkBatch
             * @instance
             */
            UplinkBatch.prototype.gatewayId = "";

            /**
             * UplinkBatch batchSeq.
             * @member {number} batchSeq
             * @memberof tianzhong.v1.UplinkBatch
             * @instance
             */
            UplinkBatch.prototype.batchSeq = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

            /**
             * UplinkBatch sentAtMs.
             * @member {number} sentAtMs
             * @memberof tianzhong.v1.UplinkBatch
             * @instance
             */
            UplinkBatch.prototype.sentAtMs = $util.Long ? $util.Long.fromBits(0,0,false) : 0;

            /**
             * UplinkBatch readings.
             * @member {Array.<tianzhong.v1.IReading>} readings
             * @memberof tianzhong.v1.UplinkBatch
             * @instance
             */
            UplinkBatch.prototype.readings = $util.emptyArray;

            /**
             * UplinkBatch statuses.
             * @member {Array.<tianzhong.v1.IDeviceStatus>} statuses
             * @memberof tianzhong.v1.UplinkBatch
             * @instance
             */
            UplinkBatch.prototype.statuses = $util.emptyArray;

            /**
             * Creates a new UplinkBatch instance using the specified properties.
             * @function create
             * @memberof tianzhong.v1.UplinkBatch
             * @static
             * @param {tianzhong.v1.IUplinkBatch=} [properties] Properties to set
             * @returns {tianzhong.v1.UplinkBatch} UplinkBatch instance
             */
            UplinkBatch.create = function create(properties) {
                return new UplinkBatch(properties);
            };

            /**
             * Encodes the specified UplinkBatch message. Does not implicitly {@link tianzhong.v1.UplinkBatch.verify|verify} messages.
             * @function encode
             * @memberof tianzhong.v1.UplinkBatch
             * @static
             * @param {tianzhong.v1.IUplinkBatch} m UplinkBatch message or plain object to encode
             * @param {$protobuf.Writer} [w] Writer to encode to
             * @returns {$protobuf.Writer} Writer
             */
            UplinkBatch.encode = function encode(m, w, q) {
                if (!w)
                    w = $Writer.create();
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId"))
                    w.uint32(10).string(m.gatewayId);
                if (m.batchSeq != null && Object.hasOwnProperty.call(m, "batchSeq"))
                    w.uint32(16).uint64(m.batchSeq);
                if (m.sentAtMs != null && Object.hasOwnProperty.call(m, "sentAtMs"))
                    w.uint32(24).int64(m.sentAtMs);
                if (m.readings != null && m.readings.length) {
                    for (var i = 0; i < m.readings.length; ++i)
                        $root.tianzhong.v1.Reading.encode(m.readings[i], w.uint32(34).fork(), q + 1).ldelim();
                }
                if (m.statuses != null && m.statuses.length) {
                    for (var i = 0; i < m.statuses.length; ++i)
                        $root.tianzhong.v1.DeviceStatus.encode(m.statuses[i], w.uint32(42).fork(), q + 1).ldelim();
                }
                return w;
            };

            /**
             * Decodes an UplinkBatch message from the specified reader or buffer.
             * @function decode
             * @memberof tianzhong.v1.UplinkBatch
             * @static
             * @param {$protobuf.Reader|Uint8Array} r Reader or buffer to decode from
             * @param {number} [l] Message length if known beforehand
             * @returns {tianzhong.v1.UplinkBatch} UplinkBatch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            UplinkBatch.decode = function decode(r, l, e, n) {
                if (!(r instanceof $Reader))
                    r = $Reader.create(r);
                if (n === undefined)
                    n = 0;
                if (n > $Reader.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var c, m;
                if (l === undefined)
                    c = r.len;
                else {
                    c = r.pos + l;
                    if (c > r.len)
                        throw RangeError("index out of range");
                    l = r.len;
                    r.len = c;
                }
                m = new $root.tianzhong.v1.UplinkBatch();
                while (r.pos < c) {
                    var t = r.uint32();
                    if (t === e)
                        break;
                    switch (t >>> 3) {
                    case 1: {
                            m.gatewayId = r.string();
                            break;
                        }
                    case 2: {
                            m.batchSeq = r.uint64();
                            break;
                        }
                    case 3: {
                            m.sentAtMs = r.int64();
                            break;
                        }
                    case 4: {
                            if (!(m.readings && m.readings.length))
                                m.readings = [];
                            m.readings.push($root.tianzhong.v1.Reading.decode(r, r.uint32(), undefined, n + 1));
                            break;
                        }
                    case 5: {
                            if (!(m.statuses && m.statuses.length))
                                m.statuses = [];
                            m.statuses.push($root.tianzhong.v1.DeviceStatus.decode(r, r.uint32(), undefined, n + 1));
                            break;
                        }
                    default:
                        r.skipType(t & 7, n);
                        break;
                    }
                }
                if (l !== undefined) {
                    if (r.pos !== c)
                        throw RangeError("index out of range");
                    r.len = l;
                }
                return m;
            };

            /**
             * Verifies an UplinkBatch message.
             * @function verify
             * @memberof tianzhong.v1.UplinkBatch
             * @static
             * @param {Object.<string,*>} m Plain object to verify
             * @returns {string|null} `null` if valid, otherwise the reason why it is not
             */
            UplinkBatch.verify = function verify(m, n) {
                if (typeof m !== "object" || m === null)
                    return "object expected";
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    return "maximum nesting depth exceeded";
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId")) {
                    if (!$util.isString(m.gatewayId))
                        return "gatewayId: string expected";
                }
                if (m.batchSeq != null && Object.hasOwnProperty.call(m, "batchSeq")) {
                    if (!$util.isInteger(m.batchSeq) && !(m.batchSeq && $util.isInteger(m.batchSeq.low) && $util.isInteger(m.batchSeq.high)))
                        return "batchSeq: integer|Long expected";
                }
                if (m.sentAtMs != null && Object.hasOwnProperty.call(m, "sentAtMs")) {
                    if (!$util.isInteger(m.sentAtMs) && !(m.sentAtMs && $util.isInteger(m.sentAtMs.low) && $util.isInteger(m.sentAtMs.high)))
                        return "sentAtMs: integer|Long expected";
                }
                if (m.readings != null && Object.hasOwnProperty.call(m, "readings")) {
                    if (!Array.isArray(m.readings))
                        return "readings: array expected";
                    for (var i = 0; i < m.readings.length; ++i) {
                        {
                            var e = $root.tianzhong.v1.Reading.verify(m.readings[i], n + 1);
                            if (e)
                                return "readings." + e;
                        }
                    }
                }
                if (m.statuses != null && Object.hasOwnProperty.call(m, "statuses")) {
                    if (!Array.isArray(m.statuses))
                        return "statuses: array expected";
                    for (var i = 0; i < m.statuses.length; ++i) {
                        {
                            var e = $root.tianzhong.v1.DeviceStatus.verify(m.statuses[i], n + 1);
                            if (e)
                                return "statuses." + e;
                        }
                    }
                }
                return null;
            };

            /**
             * Creates an UplinkBatch message from a plain object. Also converts values to their respective internal types.
             * @function fromObject
             * @memberof tianzhong.v1.UplinkBatch
             * @static
             * @param {Object.<string,*>} d Plain object
             * @returns {tianzhong.v1.UplinkBatch} UplinkBatch
             */
            UplinkBatch.fromObject = function fromObject(d, n) {
                if (d instanceof $root.tianzhong.v1.UplinkBatch)
                    return d;
                if (!$util.isObject(d))
                    throw TypeError(".tianzhong.v1.UplinkBatch: object expected");
                if (n === undefined)
                    n = 0;
                if (n > $util.recursionLimit)
                    throw Error("maximum nesting depth exceeded");
                var m = new $root.tianzhong.v1.UplinkBatch();
                if (d.gatewayId != null) {
                    m.gatewayId = String(d.gatewayId);
                }
                if (d.batchSeq != null) {
                    if ($util.Long)
                        m.batchSeq = $util.Long.fromValue(d.batchSeq, true);
                    else if (typeof d.batchSeq === "string")
                        m.batchSeq = parseInt(d.batchSeq, 10);
                    else if (typeof d.batchSeq === "number")
                        m.batchSeq = d.batchSeq;
                    else if (typeof d.batchSeq === "object")
                        m.batchSeq = new $util.LongBits(d.batchSeq.low >>> 0, d.batchSeq.high >>> 0).toNumber(true);
                }
                if (d.sentAtMs != null) {
                    if ($util.Long)
                        m.sentAtMs = $util.Long.fromValue(d.sentAtMs, false);
                    else if (typeof d.sentAtMs === "string")
                        m.sentAtMs = parseInt(d.sentAtMs, 10);
                    else if (typeof d.sentAtMs === "number")
                        m.sentAtMs = d.sentAtMs;
                    else if (typeof d.sentAtMs === "object")
                        m.sentAtMs = new $util.LongBits(d.sentAtMs.low >>> 0, d.sentAtMs.high >>> 0).toNumber();
                }
                if (d.readings) {
                    if (!Array.isArray(d.readings))
                        throw TypeError(".tianzhong.v1.UplinkBatch.readings: array expected");
                    m.readings = [];
                    for (var i = 0; i < d.readings.length; ++i) {
                        if (!$util.isObject(d.readings[i]))
                            throw TypeError(".tianzhong.v1.UplinkBatch.readings: object expected");
                        m.readings[i] = $root.tianzhong.v1.Reading.fromObject(d.readings[i], n + 1);
                    }
                }
                if (d.statuses) {
                    if (!Array.isArray(d.statuses))
                        throw TypeError(".tianzhong.v1.UplinkBatch.statuses: array expected");
                    m.statuses = [];
                    for (var i = 0; i < d.statuses.length; ++i) {
                        if (!$util.isObject(d.statuses[i]))
                            throw TypeError(".tianzhong.v1.UplinkBatch.statuses: object expected");
                        m.statuses[i] = $root.tianzhong.v1.DeviceStatus.fromObject(d.statuses[i], n + 1);
                    }
                }
                return m;
            };

            /**
             * Creates a plain object from an UplinkBatch message. Also converts values to other types if specified.
             * @function toObject
             * @memberof tianzhong.v1.UplinkBatch
             * @static
             * @param {tianzhong.v1.UplinkBatch} m UplinkBatch
             * @param {$protobuf.IConversionOptions} [o] Conversion options
             * @returns {Object.<string,*>} Plain object
             */
            UplinkBatch.toObject = function toObject(m, o, q) {
                if (!o)
                    o = {};
                if (q === undefined)
                    q = 0;
                if (q > $util.recursionLimit)
                    throw Error("max depth exceeded");
                var d = {};
                if (o.arrays || o.defaults) {
                    d.readings = [];
                    d.statuses = [];
                }
                if (o.defaults) {
                    d.gatewayId = "";
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, true);
                        d.batchSeq = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.batchSeq = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                    if ($util.Long) {
                        var n = new $util.Long(0, 0, false);
                        d.sentAtMs = o.longs === String ? n.toString() : o.longs === Number ? n.toNumber() : typeof BigInt !== "undefined" && o.longs === BigInt ? n.toBigInt() : n;
                    } else
                        d.sentAtMs = o.longs === String ? "0" : typeof BigInt !== "undefined" && o.longs === BigInt ? BigInt("0") : 0;
                }
                if (m.gatewayId != null && Object.hasOwnProperty.call(m, "gatewayId")) {
                    d.gatewayId = m.gatewayId;
                }
                if (m.batchSeq != null && Object.hasOwnProperty.call(m, "batchSeq")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.batchSeq = typeof m.batchSeq === "number" ? BigInt(m.batchSeq) : $util.Long.fromBits(m.batchSeq.low >>> 0, m.batchSeq.high >>> 0, true).toBigInt();
                    else if (typeof m.batchSeq === "number")
                        d.batchSeq = o.longs === String ? String(m.batchSeq) : m.batchSeq;
                    else
                        d.batchSeq = o.longs === String ? $util.Long.prototype.toString.call(m.batchSeq) : o.longs === Number ? new $util.LongBits(m.batchSeq.low >>> 0, m.batchSeq.high >>> 0).toNumber(true) : m.batchSeq;
                }
                if (m.sentAtMs != null && Object.hasOwnProperty.call(m, "sentAtMs")) {
                    if (typeof BigInt !== "undefined" && o.longs === BigInt)
                        d.sentAtMs = typeof m.sentAtMs === "number" ? BigInt(m.sentAtMs) : $util.Long.fromBits(m.sentAtMs.low >>> 0, m.sentAtMs.high >>> 0, false).toBigInt();
                    else if (typeof m.sentAtMs === "number")
                        d.sentAtMs = o.longs === String ? String(m.sentAtMs) : m.sentAtMs;
                    else
                        d.sentAtMs = o.longs === String ? $util.Long.prototype.toString.call(m.sentAtMs) : o.longs === Number ? new $util.LongBits(m.sentAtMs.low >>> 0, m.sentAtMs.high >>> 0).toNumber() : m.sentAtMs;
                }
                if (m.readings && m.readings.length) {
                    d.readings = [];
                    for (var j = 0; j < m.readings.length; ++j) {
                        d.readings[j] = $root.tianzhong.v1.Reading.toObject(m.readings[j], o, q + 1);
                    }
                }
                if (m.statuses && m.statuses.length) {
                    d.statuses = [];
                    for (var j = 0; j < m.statuses.length; ++j) {
                        d.statuses[j] = $root.tianzhong.v1.DeviceStatus.toObject(m.statuses[j], o, q + 1);
                    }
                }
                return d;
            };

            /**
             * Converts this UplinkBatch to JSON.
             * @function toJSON
             * @memberof tianzhong.v1.UplinkBatch
             * @instance
             * @returns {Object.<string,*>} JSON object
             */
            UplinkBatch.prototype.toJSON = function toJSON() {
                return this.constructor.toObject(this, $protobuf.util.toJSONOptions);
            };

            /**
             * Gets the default type url for UplinkBatch
             * @function getTypeUrl
             * @memberof tianzhong.v1.UplinkBatch
             * @static
             * @param {string} [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns {string} The default type url
             */
            UplinkBatch.getTypeUrl = function getTypeUrl(typeUrlPrefix) {
                if (typeUrlPrefix === undefined) {
                    typeUrlPrefix = "type.googleapis.com";
                }
                return typeUrlPrefix + "/tianzhong.v1.UplinkBatch";
            };

            return UplinkBatch;
        })();

        return v1;
    })();

    return tianzhong;
})();

export { $root as default };
