package dev.asynccache.coroutines

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import kotlinx.serialization.Serializable
import kotlinx.serialization.json.Json

@Serializable
data class Address(val city: String, val zip: String? = null)

@Serializable
data class User(val id: Long, val name: String, val tags: List<String> = emptyList(), val address: Address? = null)

class JsonCodecSpec : FunSpec({

    val codec = jsonCodec<User>()

    test("values round-trip through bytes") {
        val users = listOf(
            User(1, "Ada"),
            User(2, "Grace Hopper", listOf("navy", "cobol"), Address("Arlington", null)),
            User(Long.MAX_VALUE, "ünïcödé ✓ 😀", address = Address("Zürich", "8001")),
        )
        for (u in users) codec.decode(codec.encode(u)) shouldBe u
        codec.encode(User(1, "Ada")).decodeToString() shouldBe """{"id":1,"name":"Ada"}"""
    }

    test("bytes that are not a JSON encoding of the type fail with IllegalArgumentException") {
        shouldThrow<IllegalArgumentException> { codec.decode("""{"id":"x"}""".encodeToByteArray()) }
            .message shouldStartWith "not a JSON encoding of dev.asynccache.coroutines.User"
        shouldThrow<IllegalArgumentException> { codec.decode(byteArrayOf(0xC3.toByte(), 0x28)) }
            .message shouldContain "malformed UTF-8"
        shouldThrow<IllegalArgumentException> { codec.decode("""{"id":1,"name":"x","extra":true}""".encodeToByteArray()) }
    }

    test("a custom Json configuration is used both ways") {
        val lenient = jsonCodec<User>(Json { ignoreUnknownKeys = true })
        lenient.decode("""{"id":1,"name":"x","extra":true}""".encodeToByteArray()) shouldBe User(1, "x")
    }
})
