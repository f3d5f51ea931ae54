using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agentic.Core.Randomness;
using Agentic.Training.Noise;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Noise;

/// <summary>A tool that returns a fixed result and counts its calls.</summary>
internal sealed class FixedFunction(object? result, string name = "lookup_order") : AIFunction
{
    public int Calls { get; private set; }

    public override string Name => name;

    protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Calls++;
        return new(result);
    }
}

/// <summary>A scripted simulated user: answers each call with the next line (the last one repeats).</summary>
internal sealed class ScriptedUser(params string[] lines) : IChatClient
{
    private int _turn;

    public List<string> Seen { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Seen.Add(messages.LastOrDefault()?.Text ?? "");
        string line = lines[Math.Min(_turn++, lines.Length - 1)];
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, line)));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

internal static class NoiseSamples
{
    private static readonly string[] Words = ["order", "status", "shipped", "Alice", "Berlin", "widget", "pending", "blue", "A-1042", "refund"];
    private static readonly string[] Keys = ["id", "order_id", "customerName", "total", "items", "status", "created_at", "Price", "qty", "tags"];

    /// <summary>A random JSON object with at least one number, one string and one nested record list.</summary>
    public static JsonObject Json(int seed)
    {
        var random = new DeterministicRandom((ulong)(uint)seed);
        var root = new JsonObject
        {
            ["id"] = random.Next(1, 100_000),
            ["status"] = Words[random.Next(Words.Length)],
        };
        int extra = random.Next(0, 5);
        for (int i = 0; i < extra; i++)
        {
            string key = Keys[random.Next(Keys.Length)] + "_" + i.ToString(CultureInfo.InvariantCulture);
            root[key] = Value(random, 2);
        }

        var items = new JsonArray();
        int count = random.Next(0, 4);
        for (int i = 0; i < count; i++)
        {
            items.Add(new JsonObject { ["sku"] = "SKU-" + random.Next(1000, 9999).ToString(CultureInfo.InvariantCulture), ["price"] = Math.Round(random.NextDouble() * 100, 2) });
        }

        root["items"] = items;
        return root;
    }

    public static AIFunctionArguments Args() => new() { ["order_id"] = "A-1042" };

    public static string Canonical(object? result) => result switch
    {
        null => "<null>",
        JsonElement element => element.GetRawText(),
        JsonNode node => node.ToJsonString(),
        string text => text,
        _ => JsonSerializer.Serialize(result),
    };

    public static ToolNoiseOptions Options(int seed, double rate, IList<NoiseInjection> sink)
    {
        var options = new ToolNoiseOptions { InjectionRate = rate, Latency = TimeSpan.Zero }.Seed((ulong)(uint)seed);
        options.OnNoiseInjected = args =>
        {
            sink.Add(args.Injection);
            return ValueTask.CompletedTask;
        };
        return options;
    }

    private static JsonNode? Value(DeterministicRandom random, int depth)
    {
        switch (random.Next(depth > 0 ? 7 : 5))
        {
            case 0: return random.Next(-1000, 1000);
            case 1: return Math.Round(random.NextDouble() * 1000, 3);
            case 2: return Words[random.Next(Words.Length)];
            case 3: return random.Next(2) == 0;
            case 4: return null;
            case 5:
                var array = new JsonArray();
                for (int i = random.Next(0, 3); i > 0; i--)
                {
                    array.Add(Value(random, depth - 1));
                }

                return array;
            default:
                var obj = new JsonObject();
                for (int i = random.Next(0, 3); i > 0; i--)
                {
                    obj[Keys[random.Next(Keys.Length)] + i.ToString(CultureInfo.InvariantCulture)] = Value(random, depth - 1);
                }

                return obj;
        }
    }
}
