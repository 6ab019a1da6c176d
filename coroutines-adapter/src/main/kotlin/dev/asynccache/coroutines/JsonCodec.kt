package dev.asynccache.coroutines

import dev.asynccache.persistence.Codec
import kotlinx.serialization.KSerializer
import kotlinx.serialization.SerializationException
import kotlinx.serialization.json.Json
import kotlinx.serialization.serializer

/**
 * A persistence [Codec] for a `@Serializable` type: UTF-8 JSON through kotlinx-serialization. No
 * Java serialization, so a crafted file cannot run code; it can only fail to decode.
 *
 * Thread-safe (a [Json] instance is). `decode(encode(x)) == x` for types whose serializer
 * round-trips, which the generated ones do.
 *
 * @param T the value type
 * @property serializer the serializer of [T] (`serializer<T>()` or `T.serializer()`)
 * @property json the format; [Json.Default] unless given (pass one with `ignoreUnknownKeys = true`
 *   to read data written by a newer version of [T])
 */
public class JsonCodec<T : Any>(
    private val serializer: KSerializer<T>,
    private val json: Json = Json,
) : Codec<T> {

    /** Encodes [value] as UTF-8 JSON. */
    override fun encode(value: T): ByteArray = json.encodeToString(serializer, value).encodeToByteArray()

    /**
     * Decodes bytes made by [encode].
     *
     * @throws IllegalArgumentException if [bytes] are not valid UTF-8 or not a JSON encoding of [T]
     *   (the message names the type; the cause is the parser's exception)
     */
    override fun decode(bytes: ByteArray): T {
        val text = try {
            bytes.decodeToString(throwOnInvalidSequence = true)
        } catch (e: CharacterCodingException) {
            throw IllegalArgumentException("not a JSON encoding of ${serializer.descriptor.serialName}: malformed UTF-8", e)
        }
        try {
            return json.decodeFromString(serializer, text)
        } catch (e: SerializationException) {
            throw IllegalArgumentException(
                "not a JSON encoding of ${serializer.descriptor.serialName}: ${e.message}",
                e,
            )
        }
    }

    override fun toString(): String = "JsonCodec(${serializer.descriptor.serialName})"
}

/**
 * Returns a [JsonCodec] for the `@Serializable` type [T].
 *
 * @param json the format, [Json.Default] unless given
 */
public inline fun <reified T : Any> jsonCodec(json: Json = Json): JsonCodec<T> = JsonCodec(serializer<T>(), json)
