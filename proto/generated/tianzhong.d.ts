import * as $protobuf from "protobufjs";
/** Namespace tianzhong. */
export namespace tianzhong {

    /** Namespace v1. */
    namespace v1 {

        /** Properties of a GatewayConfig. */
        interface IGatewayConfig {

            /** GatewayConfig gatewayId */
            gatewayId?: (string|null);

            /** GatewayConfig version */
            version?: (number|null);

            /** GatewayConfig contentHash */
            contentHash?: (string|null);

            /** GatewayConfig issuedAtMs */
            issuedAtMs?: (number|null);

            /** GatewayConfig devices */
            devices?: (tianzhong.v1.IConfigDevice[]|null);

            /** GatewayConfig pollIntervalMs */
            pollIntervalMs?: (number|null);

            /** GatewayConfig deadbands */
            deadbands?: ({ [k: string]: number }|null);

            /** GatewayConfig reason */
            reason?: (string|null);
        }

        /** Represents a GatewayConfig. */
        class GatewayConfig implements IGatewayConfig {

            /**
             * Constructs a new GatewayConfig.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IGatewayConfig);

            /** GatewayConfig gatewayId. */
            public gatewayId: string;

            /** GatewayConfig version. */
            public version: number;

            /** GatewayConfig contentHash. */
            public contentHash: string;

            /** GatewayConfig issuedAtMs. */
            public issuedAtMs: number;

            /** GatewayConfig devices. */
            public devices: tianzhong.v1.IConfigDevice[];

            /** GatewayConfig pollIntervalMs. */
            public pollIntervalMs: number;

            /** GatewayConfig deadbands. */
            public deadbands: { [k: string]: number };

            /** GatewayConfig reason. */
            public reason: string;

            /**
             * Creates a new GatewayConfig instance using the specified properties.
             * @param [properties] Properties to set
             * @returns GatewayConfig instance
             */
            public static create(properties?: tianzhong.v1.IGatewayConfig): tianzhong.v1.GatewayConfig;

            /**
             * Encodes the specified GatewayConfig message. Does not implicitly {@link tianzhong.v1.GatewayConfig.verify|verify} messages.
             * @param m GatewayConfig message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IGatewayConfig, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a GatewayConfig message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns GatewayConfig
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.GatewayConfig;

            /**
             * Verifies a GatewayConfig message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a GatewayConfig message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns GatewayConfig
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.GatewayConfig;

            /**
             * Creates a plain object from a GatewayConfig message. Also converts values to other types if specified.
             * @param m GatewayConfig
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.GatewayConfig, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this GatewayConfig to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for GatewayConfig
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a ConfigDevice. */
        interface IConfigDevice {

            /** ConfigDevice deviceId */
            deviceId?: (string|null);

            /** ConfigDevice profile */
            profile?: (string|null);

            /** ConfigDevice district */
            district?: (string|null);

            /** ConfigDevice modbusTcp */
            modbusTcp?: (tianzhong.v1.IModbusTcpAddress|null);

            /** ConfigDevice modbusRtu */
            modbusRtu?: (tianzhong.v1.IModbusRtuAddress|null);

            /** ConfigDevice lora */
            lora?: (tianzhong.v1.ILoraAbpAddress|null);

            /** ConfigDevice fieldMeter */
            fieldMeter?: (tianzhong.v1.IFieldMeterAddress|null);

            /** ConfigDevice pollIntervalMs */
            pollIntervalMs?: (number|null);

            /** ConfigDevice deadbands */
            deadbands?: ({ [k: string]: number }|null);

            /** ConfigDevice maxIntervalS */
            maxIntervalS?: (number|null);
        }

        /** Represents a ConfigDevice. */
        class ConfigDevice implements IConfigDevice {

            /**
             * Constructs a new ConfigDevice.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IConfigDevice);

            /** ConfigDevice deviceId. */
            public deviceId: string;

            /** ConfigDevice profile. */
            public profile: string;

            /** ConfigDevice district. */
            public district: string;

            /** ConfigDevice modbusTcp. */
            public modbusTcp?: (tianzhong.v1.IModbusTcpAddress|null);

            /** ConfigDevice modbusRtu. */
            public modbusRtu?: (tianzhong.v1.IModbusRtuAddress|null);

            /** ConfigDevice lora. */
            public lora?: (tianzhong.v1.ILoraAbpAddress|null);

            /** ConfigDevice fieldMeter. */
            public fieldMeter?: (tianzhong.v1.IFieldMeterAddress|null);

            /** ConfigDevice pollIntervalMs. */
            public pollIntervalMs: number;

            /** ConfigDevice deadbands. */
            public deadbands: { [k: string]: number };

            /** ConfigDevice maxIntervalS. */
            public maxIntervalS: number;

            /** ConfigDevice transport. */
            public transport?: ("modbusTcp"|"modbusRtu"|"lora"|"fieldMeter");

            /**
             * Creates a new ConfigDevice instance using the specified properties.
             * @param [properties] Properties to set
             * @returns ConfigDevice instance
             */
            public static create(properties?: tianzhong.v1.IConfigDevice): tianzhong.v1.ConfigDevice;

            /**
             * Encodes the specified ConfigDevice message. Does not implicitly {@link tianzhong.v1.ConfigDevice.verify|verify} messages.
             * @param m ConfigDevice message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IConfigDevice, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a ConfigDevice message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns ConfigDevice
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.ConfigDevice;

            /**
             * Verifies a ConfigDevice message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a ConfigDevice message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns ConfigDevice
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.ConfigDevice;

            /**
             * Creates a plain object from a ConfigDevice message. Also converts values to other types if specified.
             * @param m ConfigDevice
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.ConfigDevice, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this ConfigDevice to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for ConfigDevice
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a ModbusTcpAddress. */
        interface IModbusTcpAddress {

            /** ModbusTcpAddress host */
            host?: (string|null);

            /** ModbusTcpAddress port */
            port?: (number|null);

            /** ModbusTcpAddress unitId */
            unitId?: (number|null);
        }

        /** Represents a ModbusTcpAddress. */
        class ModbusTcpAddress implements IModbusTcpAddress {

            /**
             * Constructs a new ModbusTcpAddress.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IModbusTcpAddress);

            /** ModbusTcpAddress host. */
            public host: string;

            /** ModbusTcpAddress port. */
            public port: number;

            /** ModbusTcpAddress unitId. */
            public unitId: number;

            /**
             * Creates a new ModbusTcpAddress instance using the specified properties.
             * @param [properties] Properties to set
             * @returns ModbusTcpAddress instance
             */
            public static create(properties?: tianzhong.v1.IModbusTcpAddress): tianzhong.v1.ModbusTcpAddress;

            /**
             * Encodes the specified ModbusTcpAddress message. Does not implicitly {@link tianzhong.v1.ModbusTcpAddress.verify|verify} messages.
             * @param m ModbusTcpAddress message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IModbusTcpAddress, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a ModbusTcpAddress message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns ModbusTcpAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.ModbusTcpAddress;

            /**
             * Verifies a ModbusTcpAddress message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a ModbusTcpAddress message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns ModbusTcpAddress
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.ModbusTcpAddress;

            /**
             * Creates a plain object from a ModbusTcpAddress message. Also converts values to other types if specified.
             * @param m ModbusTcpAddress
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.ModbusTcpAddress, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this ModbusTcpAddress to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for ModbusTcpAddress
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a ModbusRtuAddress. */
        interface IModbusRtuAddress {

            /** ModbusRtuAddress line */
            line?: (string|null);

            /** ModbusRtuAddress unitId */
            unitId?: (number|null);
        }

        /** Represents a ModbusRtuAddress. */
        class ModbusRtuAddress implements IModbusRtuAddress {

            /**
             * Constructs a new ModbusRtuAddress.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IModbusRtuAddress);

            /** ModbusRtuAddress line. */
            public line: string;

            /** ModbusRtuAddress unitId. */
            public unitId: number;

            /**
             * Creates a new ModbusRtuAddress instance using the specified properties.
             * @param [properties] Properties to set
             * @returns ModbusRtuAddress instance
             */
            public static create(properties?: tianzhong.v1.IModbusRtuAddress): tianzhong.v1.ModbusRtuAddress;

            /**
             * Encodes the specified ModbusRtuAddress message. Does not implicitly {@link tianzhong.v1.ModbusRtuAddress.verify|verify} messages.
             * @param m ModbusRtuAddress message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IModbusRtuAddress, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a ModbusRtuAddress message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns ModbusRtuAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.ModbusRtuAddress;

            /**
             * Verifies a ModbusRtuAddress message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a ModbusRtuAddress message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns ModbusRtuAddress
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.ModbusRtuAddress;

            /**
             * Creates a plain object from a ModbusRtuAddress message. Also converts values to other types if specified.
             * @param m ModbusRtuAddress
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.ModbusRtuAddress, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this ModbusRtuAddress to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for ModbusRtuAddress
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a LoraAbpAddress. */
        interface ILoraAbpAddress {

            /** LoraAbpAddress devEui */
            devEui?: (string|null);

            /** LoraAbpAddress devAddr */
            devAddr?: (string|null);

            /** LoraAbpAddress nwkSKey */
            nwkSKey?: (string|null);

            /** LoraAbpAddress appSKey */
            appSKey?: (string|null);
        }

        /** Represents a LoraAbpAddress. */
        class LoraAbpAddress implements ILoraAbpAddress {

            /**
             * Constructs a new LoraAbpAddress.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.ILoraAbpAddress);

            /** LoraAbpAddress devEui. */
            public devEui: string;

            /** LoraAbpAddress devAddr. */
            public devAddr: string;

            /** LoraAbpAddress nwkSKey. */
            public nwkSKey: string;

            /** LoraAbpAddress appSKey. */
            public appSKey: string;

            /**
             * Creates a new LoraAbpAddress instance using the specified properties.
             * @param [properties] Properties to set
             * @returns LoraAbpAddress instance
             */
            public static create(properties?: tianzhong.v1.ILoraAbpAddress): tianzhong.v1.LoraAbpAddress;

            /**
             * Encodes the specified LoraAbpAddress message. Does not implicitly {@link tianzhong.v1.LoraAbpAddress.verify|verify} messages.
             * @param m LoraAbpAddress message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.ILoraAbpAddress, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a LoraAbpAddress message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns LoraAbpAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.LoraAbpAddress;

            /**
             * Verifies a LoraAbpAddress message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a LoraAbpAddress message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns LoraAbpAddress
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.LoraAbpAddress;

            /**
             * Creates a plain object from a LoraAbpAddress message. Also converts values to other types if specified.
             * @param m LoraAbpAddress
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.LoraAbpAddress, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this LoraAbpAddress to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for LoraAbpAddress
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a FieldMeterAddress. */
        interface IFieldMeterAddress {

            /** FieldMeterAddress protocol */
            protocol?: (string|null);

            /** FieldMeterAddress address */
            address?: (string|null);

            /** FieldMeterAddress line */
            line?: (string|null);

            /** FieldMeterAddress host */
            host?: (string|null);

            /** FieldMeterAddress port */
            port?: (number|null);
        }

        /** Represents a FieldMeterAddress. */
        class FieldMeterAddress implements IFieldMeterAddress {

            /**
             * Constructs a new FieldMeterAddress.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IFieldMeterAddress);

            /** FieldMeterAddress protocol. */
            public protocol: string;

            /** FieldMeterAddress address. */
            public address: string;

            /** FieldMeterAddress line. */
            public line: string;

            /** FieldMeterAddress host. */
            public host: string;

            /** FieldMeterAddress port. */
            public port: number;

            /**
             * Creates a new FieldMeterAddress instance using the specified properties.
             * @param [properties] Properties to set
             * @returns FieldMeterAddress instance
             */
            public static create(properties?: tianzhong.v1.IFieldMeterAddress): tianzhong.v1.FieldMeterAddress;

            /**
             * Encodes the specified FieldMeterAddress message. Does not implicitly {@link tianzhong.v1.FieldMeterAddress.verify|verify} messages.
             * @param m FieldMeterAddress message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IFieldMeterAddress, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a FieldMeterAddress message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns FieldMeterAddress
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.FieldMeterAddress;

            /**
             * Verifies a FieldMeterAddress message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a FieldMeterAddress message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns FieldMeterAddress
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.FieldMeterAddress;

            /**
             * Creates a plain object from a FieldMeterAddress message. Also converts values to other types if specified.
             * @param m FieldMeterAddress
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.FieldMeterAddress, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this FieldMeterAddress to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for FieldMeterAddress
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** GatewayState enum. */
        enum GatewayState {
            GATEWAY_STATE_UNKNOWN = 0,
            GATEWAY_STATE_ONLINE = 1,
            GATEWAY_STATE_OFFLINE = 2
        }

        /** Properties of a GatewayStatus. */
        interface IGatewayStatus {

            /** GatewayStatus gatewayId */
            gatewayId?: (string|null);

            /** GatewayStatus state */
            state?: (tianzhong.v1.GatewayState|null);

            /** GatewayStatus timestampMs */
            timestampMs?: (number|null);

            /** GatewayStatus version */
            version?: (string|null);

            /** GatewayStatus devicesTotal */
            devicesTotal?: (number|null);

            /** GatewayStatus devicesOnline */
            devicesOnline?: (number|null);

            /** GatewayStatus queueDepth */
            queueDepth?: (number|null);

            /** GatewayStatus oldestUnsentAgeS */
            oldestUnsentAgeS?: (number|null);

            /** GatewayStatus dropped */
            dropped?: (number|null);

            /** GatewayStatus pollErrors */
            pollErrors?: (number|null);

            /** GatewayStatus uptimeS */
            uptimeS?: (number|null);

            /** GatewayStatus queueBytes */
            queueBytes?: (number|null);

            /** GatewayStatus queueBatches */
            queueBatches?: (number|null);

            /** GatewayStatus devices */
            devices?: (tianzhong.v1.IGatewayDeviceState[]|null);

            /** GatewayStatus loraFramesRejected */
            loraFramesRejected?: (number|null);

            /** GatewayStatus loraReplaysRejected */
            loraReplaysRejected?: (number|null);

            /** GatewayStatus commandsAnswered */
            commandsAnswered?: (number|null);

            /** GatewayStatus batchesReplayed */
            batchesReplayed?: (number|null);

            /** GatewayStatus configVersion */
            configVersion?: (number|null);

            /** GatewayStatus configRejectedVersion */
            configRejectedVersion?: (number|null);

            /** GatewayStatus configRejectedReason */
            configRejectedReason?: (string|null);
        }

        /** Represents a GatewayStatus. */
        class GatewayStatus implements IGatewayStatus {

            /**
             * Constructs a new GatewayStatus.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IGatewayStatus);

            /** GatewayStatus gatewayId. */
            public gatewayId: string;

            /** GatewayStatus state. */
            public state: tianzhong.v1.GatewayState;

            /** GatewayStatus timestampMs. */
            public timestampMs: number;

            /** GatewayStatus version. */
            public version: string;

            /** GatewayStatus devicesTotal. */
            public devicesTotal: number;

            /** GatewayStatus devicesOnline. */
            public devicesOnline: number;

            /** GatewayStatus queueDepth. */
            public queueDepth: number;

            /** GatewayStatus oldestUnsentAgeS. */
            public oldestUnsentAgeS: number;

            /** GatewayStatus dropped. */
            public dropped: number;

            /** GatewayStatus pollErrors. */
            public pollErrors: number;

            /** GatewayStatus uptimeS. */
            public uptimeS: number;

            /** GatewayStatus queueBytes. */
            public queueBytes: number;

            /** GatewayStatus queueBatches. */
            public queueBatches: number;

            /** GatewayStatus devices. */
            public devices: tianzhong.v1.IGatewayDeviceState[];

            /** GatewayStatus loraFramesRejected. */
            public loraFramesRejected: number;

            /** GatewayStatus loraReplaysRejected. */
            public loraReplaysRejected: number;

            /** GatewayStatus commandsAnswered. */
            public commandsAnswered: number;

            /** GatewayStatus batchesReplayed. */
            public batchesReplayed: number;

            /** GatewayStatus configVersion. */
            public configVersion: number;

            /** GatewayStatus configRejectedVersion. */
            public configRejectedVersion: number;

            /** GatewayStatus configRejectedReason. */
            public configRejectedReason: string;

            /**
             * Creates a new GatewayStatus instance using the specified properties.
             * @param [properties] Properties to set
             * @returns GatewayStatus instance
             */
            public static create(properties?: tianzhong.v1.IGatewayStatus): tianzhong.v1.GatewayStatus;

            /**
             * Encodes the specified GatewayStatus message. Does not implicitly {@link tianzhong.v1.GatewayStatus.verify|verify} messages.
             * @param m GatewayStatus message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IGatewayStatus, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a GatewayStatus message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns GatewayStatus
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.GatewayStatus;

            /**
             * Verifies a GatewayStatus message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a GatewayStatus message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns GatewayStatus
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.GatewayStatus;

            /**
             * Creates a plain object from a GatewayStatus message. Also converts values to other types if specified.
             * @param m GatewayStatus
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.GatewayStatus, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this GatewayStatus to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for GatewayStatus
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a GatewayDeviceState. */
        interface IGatewayDeviceState {

            /** GatewayDeviceState deviceId */
            deviceId?: (string|null);

            /** GatewayDeviceState state */
            state?: (number|null);

            /** GatewayDeviceState transport */
            transport?: (string|null);

            /** GatewayDeviceState lastSeenMs */
            lastSeenMs?: (number|null);

            /** GatewayDeviceState consecutiveFailures */
            consecutiveFailures?: (number|null);

            /** GatewayDeviceState pollErrors */
            pollErrors?: (number|null);

            /** GatewayDeviceState rssiDbm */
            rssiDbm?: (number|null);

            /** GatewayDeviceState snrDb */
            snrDb?: (number|null);
        }

        /** Represents a GatewayDeviceState. */
        class GatewayDeviceState implements IGatewayDeviceState {

            /**
             * Constructs a new GatewayDeviceState.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IGatewayDeviceState);

            /** GatewayDeviceState deviceId. */
            public deviceId: string;

            /** GatewayDeviceState state. */
            public state: number;

            /** GatewayDeviceState transport. */
            public transport: string;

            /** GatewayDeviceState lastSeenMs. */
            public lastSeenMs: number;

            /** GatewayDeviceState consecutiveFailures. */
            public consecutiveFailures: number;

            /** GatewayDeviceState pollErrors. */
            public pollErrors: number;

            /** GatewayDeviceState rssiDbm. */
            public rssiDbm?: (number|null);

            /** GatewayDeviceState snrDb. */
            public snrDb?: (number|null);

            /**
             * Creates a new GatewayDeviceState instance using the specified properties.
             * @param [properties] Properties to set
             * @returns GatewayDeviceState instance
             */
            public static create(properties?: tianzhong.v1.IGatewayDeviceState): tianzhong.v1.GatewayDeviceState;

            /**
             * Encodes the specified GatewayDeviceState message. Does not implicitly {@link tianzhong.v1.GatewayDeviceState.verify|verify} messages.
             * @param m GatewayDeviceState message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IGatewayDeviceState, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a GatewayDeviceState message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns GatewayDeviceState
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.GatewayDeviceState;

            /**
             * Verifies a GatewayDeviceState message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a GatewayDeviceState message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns GatewayDeviceState
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.GatewayDeviceState;

            /**
             * Creates a plain object from a GatewayDeviceState message. Also converts values to other types if specified.
             * @param m GatewayDeviceState
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.GatewayDeviceState, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this GatewayDeviceState to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for GatewayDeviceState
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a CommandParam. */
        interface ICommandParam {

            /** CommandParam name */
            name?: (string|null);

            /** CommandParam number */
            number?: (number|null);

            /** CommandParam flag */
            flag?: (boolean|null);

            /** CommandParam integer */
            integer?: (number|null);
        }

        /** Represents a CommandParam. */
        class CommandParam implements ICommandParam {

            /**
             * Constructs a new CommandParam.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.ICommandParam);

            /** CommandParam name. */
            public name: string;

            /** CommandParam number. */
            public number?: (number|null);

            /** CommandParam flag. */
            public flag?: (boolean|null);

            /** CommandParam integer. */
            public integer?: (number|null);

            /** CommandParam value. */
            public value?: ("number"|"flag"|"integer");

            /**
             * Creates a new CommandParam instance using the specified properties.
             * @param [properties] Properties to set
             * @returns CommandParam instance
             */
            public static create(properties?: tianzhong.v1.ICommandParam): tianzhong.v1.CommandParam;

            /**
             * Encodes the specified CommandParam message. Does not implicitly {@link tianzhong.v1.CommandParam.verify|verify} messages.
             * @param m CommandParam message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.ICommandParam, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a CommandParam message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns CommandParam
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.CommandParam;

            /**
             * Verifies a CommandParam message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a CommandParam message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns CommandParam
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.CommandParam;

            /**
             * Creates a plain object from a CommandParam message. Also converts values to other types if specified.
             * @param m CommandParam
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.CommandParam, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this CommandParam to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for CommandParam
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Command. */
        interface ICommand {

            /** Command commandId */
            commandId?: (string|null);

            /** Command deviceId */
            deviceId?: (string|null);

            /** Command name */
            name?: (string|null);

            /** Command params */
            params?: (tianzhong.v1.ICommandParam[]|null);

            /** Command issuedAtMs */
            issuedAtMs?: (number|null);

            /** Command expiresAtMs */
            expiresAtMs?: (number|null);
        }

        /** Represents a Command. */
        class Command implements ICommand {

            /**
             * Constructs a new Command.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.ICommand);

            /** Command commandId. */
            public commandId: string;

            /** Command deviceId. */
            public deviceId: string;

            /** Command name. */
            public name: string;

            /** Command params. */
            public params: tianzhong.v1.ICommandParam[];

            /** Command issuedAtMs. */
            public issuedAtMs: number;

            /** Command expiresAtMs. */
            public expiresAtMs: number;

            /**
             * Creates a new Command instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Command instance
             */
            public static create(properties?: tianzhong.v1.ICommand): tianzhong.v1.Command;

            /**
             * Encodes the specified Command message. Does not implicitly {@link tianzhong.v1.Command.verify|verify} messages.
             * @param m Command message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.ICommand, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Command message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns Command
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.Command;

            /**
             * Verifies a Command message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a Command message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns Command
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.Command;

            /**
             * Creates a plain object from a Command message. Also converts values to other types if specified.
             * @param m Command
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.Command, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this Command to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for Command
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** CommandResult enum. */
        enum CommandResult {
            COMMAND_RESULT_UNKNOWN = 0,
            COMMAND_RESULT_OK = 1,
            COMMAND_RESULT_REJECTED = 2,
            COMMAND_RESULT_TIMED_OUT = 3,
            COMMAND_RESULT_FAILED = 4
        }

        /** Properties of a CommandAck. */
        interface ICommandAck {

            /** CommandAck commandId */
            commandId?: (string|null);

            /** CommandAck deviceId */
            deviceId?: (string|null);

            /** CommandAck result */
            result?: (tianzhong.v1.CommandResult|null);

            /** CommandAck reason */
            reason?: (string|null);

            /** CommandAck timestampMs */
            timestampMs?: (number|null);
        }

        /** Represents a CommandAck. */
        class CommandAck implements ICommandAck {

            /**
             * Constructs a new CommandAck.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.ICommandAck);

            /** CommandAck commandId. */
            public commandId: string;

            /** CommandAck deviceId. */
            public deviceId: string;

            /** CommandAck result. */
            public result: tianzhong.v1.CommandResult;

            /** CommandAck reason. */
            public reason: string;

            /** CommandAck timestampMs. */
            public timestampMs: number;

            /**
             * Creates a new CommandAck instance using the specified properties.
             * @param [properties] Properties to set
             * @returns CommandAck instance
             */
            public static create(properties?: tianzhong.v1.ICommandAck): tianzhong.v1.CommandAck;

            /**
             * Encodes the specified CommandAck message. Does not implicitly {@link tianzhong.v1.CommandAck.verify|verify} messages.
             * @param m CommandAck message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.ICommandAck, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a CommandAck message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns CommandAck
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.CommandAck;

            /**
             * Verifies a CommandAck message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a CommandAck message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns CommandAck
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.CommandAck;

            /**
             * Creates a plain object from a CommandAck message. Also converts values to other types if specified.
             * @param m CommandAck
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.CommandAck, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this CommandAck to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for CommandAck
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a MetricValue. */
        interface IMetricValue {

            /** MetricValue name */
            name?: (string|null);

            /** MetricValue number */
            number?: (number|null);

            /** MetricValue flag */
            flag?: (boolean|null);

            /** MetricValue integer */
            integer?: (number|null);

            /** MetricValue index */
            index?: (number|null);
        }

        /** Represents a MetricValue. */
        class MetricValue implements IMetricValue {

            /**
             * Constructs a new MetricValue.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IMetricValue);

            /** MetricValue name. */
            public name: string;

            /** MetricValue number. */
            public number?: (number|null);

            /** MetricValue flag. */
            public flag?: (boolean|null);

            /** MetricValue integer. */
            public integer?: (number|null);

            /** MetricValue index. */
            public index: number;

            /** MetricValue value. */
            public value?: ("number"|"flag"|"integer");

            /**
             * Creates a new MetricValue instance using the specified properties.
             * @param [properties] Properties to set
             * @returns MetricValue instance
             */
            public static create(properties?: tianzhong.v1.IMetricValue): tianzhong.v1.MetricValue;

            /**
             * Encodes the specified MetricValue message. Does not implicitly {@link tianzhong.v1.MetricValue.verify|verify} messages.
             * @param m MetricValue message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IMetricValue, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a MetricValue message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns MetricValue
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.MetricValue;

            /**
             * Verifies a MetricValue message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a MetricValue message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns MetricValue
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.MetricValue;

            /**
             * Creates a plain object from a MetricValue message. Also converts values to other types if specified.
             * @param m MetricValue
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.MetricValue, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this MetricValue to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for MetricValue
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of a Reading. */
        interface IReading {

            /** Reading deviceId */
            deviceId?: (string|null);

            /** Reading profile */
            profile?: (string|null);

            /** Reading profileVersion */
            profileVersion?: (number|null);

            /** Reading timestampMs */
            timestampMs?: (number|null);

            /** Reading seq */
            seq?: (number|null);

            /** Reading district */
            district?: (string|null);

            /** Reading metrics */
            metrics?: (tianzhong.v1.IMetricValue[]|null);
        }

        /** Represents a Reading. */
        class Reading implements IReading {

            /**
             * Constructs a new Reading.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IReading);

            /** Reading deviceId. */
            public deviceId: string;

            /** Reading profile. */
            public profile: string;

            /** Reading profileVersion. */
            public profileVersion: number;

            /** Reading timestampMs. */
            public timestampMs: number;

            /** Reading seq. */
            public seq: number;

            /** Reading district. */
            public district: string;

            /** Reading metrics. */
            public metrics: tianzhong.v1.IMetricValue[];

            /**
             * Creates a new Reading instance using the specified properties.
             * @param [properties] Properties to set
             * @returns Reading instance
             */
            public static create(properties?: tianzhong.v1.IReading): tianzhong.v1.Reading;

            /**
             * Encodes the specified Reading message. Does not implicitly {@link tianzhong.v1.Reading.verify|verify} messages.
             * @param m Reading message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IReading, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a Reading message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns Reading
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.Reading;

            /**
             * Verifies a Reading message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a Reading message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns Reading
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.Reading;

            /**
             * Creates a plain object from a Reading message. Also converts values to other types if specified.
             * @param m Reading
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.Reading, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this Reading to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for Reading
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** DeviceErrorCode enum. */
        enum DeviceErrorCode {
            DEVICE_ERROR_NONE = 0,
            DEVICE_ERROR_TIMEOUT = 1,
            DEVICE_ERROR_PROTOCOL = 2,
            DEVICE_ERROR_DECODE = 3,
            DEVICE_ERROR_LINK = 4
        }

        /** DeviceState enum. */
        enum DeviceState {
            DEVICE_STATE_UNKNOWN = 0,
            DEVICE_STATE_ONLINE = 1,
            DEVICE_STATE_OFFLINE = 2,
            DEVICE_STATE_FAULT = 3
        }

        /** Properties of a DeviceStatus. */
        interface IDeviceStatus {

            /** DeviceStatus deviceId */
            deviceId?: (string|null);

            /** DeviceStatus profile */
            profile?: (string|null);

            /** DeviceStatus timestampMs */
            timestampMs?: (number|null);

            /** DeviceStatus state */
            state?: (tianzhong.v1.DeviceState|null);

            /** DeviceStatus error */
            error?: (tianzhong.v1.DeviceErrorCode|null);

            /** DeviceStatus detail */
            detail?: (string|null);

            /** DeviceStatus batteryPct */
            batteryPct?: (number|null);

            /** DeviceStatus rssiDbm */
            rssiDbm?: (number|null);

            /** DeviceStatus snrDb */
            snrDb?: (number|null);
        }

        /** Represents a DeviceStatus. */
        class DeviceStatus implements IDeviceStatus {

            /**
             * Constructs a new DeviceStatus.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IDeviceStatus);

            /** DeviceStatus deviceId. */
            public deviceId: string;

            /** DeviceStatus profile. */
            public profile: string;

            /** DeviceStatus timestampMs. */
            public timestampMs: number;

            /** DeviceStatus state. */
            public state: tianzhong.v1.DeviceState;

            /** DeviceStatus error. */
            public error: tianzhong.v1.DeviceErrorCode;

            /** DeviceStatus detail. */
            public detail: string;

            /** DeviceStatus batteryPct. */
            public batteryPct?: (number|null);

            /** DeviceStatus rssiDbm. */
            public rssiDbm?: (number|null);

            /** DeviceStatus snrDb. */
            public snrDb?: (number|null);

            /**
             * Creates a new DeviceStatus instance using the specified properties.
             * @param [properties] Properties to set
             * @returns DeviceStatus instance
             */
            public static create(properties?: tianzhong.v1.IDeviceStatus): tianzhong.v1.DeviceStatus;

            /**
             * Encodes the specified DeviceStatus message. Does not implicitly {@link tianzhong.v1.DeviceStatus.verify|verify} messages.
             * @param m DeviceStatus message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IDeviceStatus, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes a DeviceStatus message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns DeviceStatus
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.DeviceStatus;

            /**
             * Verifies a DeviceStatus message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates a DeviceStatus message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns DeviceStatus
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.DeviceStatus;

            /**
             * Creates a plain object from a DeviceStatus message. Also converts values to other types if specified.
             * @param m DeviceStatus
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.DeviceStatus, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this DeviceStatus to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for DeviceStatus
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }

        /** Properties of an UplinkBatch. */
        interface IUplinkBatch {

            /** UplinkBatch gatewayId */
            gatewayId?: (string|null);

            /** UplinkBatch batchSeq */
            batchSeq?: (number|null);

            /** UplinkBatch sentAtMs */
            sentAtMs?: (number|null);

            /** UplinkBatch readings */
            readings?: (tianzhong.v1.IReading[]|null);

            /** UplinkBatch statuses */
            statuses?: (tianzhong.v1.IDeviceStatus[]|null);
        }

        /** Represents an UplinkBatch. */
        class UplinkBatch implements IUplinkBatch {

            /**
             * Constructs a new UplinkBatch.
             * @param [p] Properties to set
             */
            constructor(p?: tianzhong.v1.IUplinkBatch);

            /** UplinkBatch gatewayId. */
            public gatewayId: string;

            /** UplinkBatch batchSeq. */
            public batchSeq: number;

            /** UplinkBatch sentAtMs. */
            public sentAtMs: number;

            /** UplinkBatch readings. */
            public readings: tianzhong.v1.IReading[];

            /** UplinkBatch statuses. */
            public statuses: tianzhong.v1.IDeviceStatus[];

            /**
             * Creates a new UplinkBatch instance using the specified properties.
             * @param [properties] Properties to set
             * @returns UplinkBatch instance
             */
            public static create(properties?: tianzhong.v1.IUplinkBatch): tianzhong.v1.UplinkBatch;

            /**
             * Encodes the specified UplinkBatch message. Does not implicitly {@link tianzhong.v1.UplinkBatch.verify|verify} messages.
             * @param m UplinkBatch message or plain object to encode
             * @param [w] Writer to encode to
             * @returns Writer
             */
            public static encode(m: tianzhong.v1.IUplinkBatch, w?: $protobuf.Writer): $protobuf.Writer;

            /**
             * Decodes an UplinkBatch message from the specified reader or buffer.
             * @param r Reader or buffer to decode from
             * @param [l] Message length if known beforehand
             * @returns UplinkBatch
             * @throws {Error} If the payload is not a reader or valid buffer
             * @throws {$protobuf.util.ProtocolError} If required fields are missing
             */
            public static decode(r: ($protobuf.Reader|Uint8Array), l?: number): tianzhong.v1.UplinkBatch;

            /**
             * Verifies an UplinkBatch message.
             * @param m Plain object to verify
             * @returns `null` if valid, otherwise the reason why it is not
             */
            public static verify(m: { [k: string]: any }): (string|null);

            /**
             * Creates an UplinkBatch message from a plain object. Also converts values to their respective internal types.
             * @param d Plain object
             * @returns UplinkBatch
             */
            public static fromObject(d: { [k: string]: any }): tianzhong.v1.UplinkBatch;

            /**
             * Creates a plain object from an UplinkBatch message. Also converts values to other types if specified.
             * @param m UplinkBatch
             * @param [o] Conversion options
             * @returns Plain object
             */
            public static toObject(m: tianzhong.v1.UplinkBatch, o?: $protobuf.IConversionOptions): { [k: string]: any };

            /**
             * Converts this UplinkBatch to JSON.
             * @returns JSON object
             */
            public toJSON(): { [k: string]: any };

            /**
             * Gets the default type url for UplinkBatch
             * @param [typeUrlPrefix] your custom typeUrlPrefix(default "type.googleapis.com")
             * @returns The default type url
             */
            public static getTypeUrl(typeUrlPrefix?: string): string;
        }
    }
}
