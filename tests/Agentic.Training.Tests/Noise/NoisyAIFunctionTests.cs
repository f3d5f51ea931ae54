using System.Text.Json;
using System.Text.Json.Nodes;
using Agentic.Training.Noise;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Training.Tests.Noise;

[Properties(Replay = "(2574514542583760,3950917755)")]
public class NoisyAIFunctionTests
{
    private static readonly ToolNoiseKind[] ErrorKinds = [ToolNoiseKind.Failure, ToolNoiseKind.Timeout];

    [Property(MaxTest = 100)]
    public async Task<bool> Rate_zero_never_injects(int seed, int jsonSeed, PositiveInt calls)
    {
        var injections = new List<NoiseInjection>();
        string json = NoiseSamples.Json(jsonSeed).ToJsonString();
        var inner = new FixedFunction(json);
        var tool = inner.WithNoise(NoiseSamples.Options(seed, 0, injections));
        int n = 1 + (calls.Get % 20);
        for (int i = 0; i < n; i++)
        {
            if (NoiseSamples.Canonical(await tool.InvokeAsync(NoiseSamples.Args())) != json)
            {
                return false;
            }
        }

        return injections.Count == 0 && inner.Calls == n;
    }

    [Property(MaxTest = 100)]
    public async Task<bool> Rate_one_always_injects(int seed, int jsonSeed, PositiveInt calls)
    {
        var injections = new List<NoiseInjection>();
        var options = NoiseSamples.Options(seed, 1, injections);
        options.MaxConsecutiveFailures = null;
        var tool = new FixedFunction(JsonSerializer.SerializeToElement(NoiseSamples.Json(jsonSeed))).WithNoise(options);
        int n = 1 + (calls.Get % 20);
        for (int i = 0; i < n; i++)
        {
            await tool.InvokeAsync(NoiseSamples.Args());
            if (injections.Count != i + 1 || injections[i].Turn != i || injections[i].Target != "lookup_order")
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 100)]
    public async Task<bool> The_same_seed_gives_the_same_noise(int seed, int jsonSeed, NormalFloat rate)
    {
        double r = Math.Abs(rate.Get) % 1.0;
        async Task<(string Results, string Injections)> RunAsync()
        {
            var injections = new List<NoiseInjection>();
            var tool = new FixedFunction(NoiseSamples.Json(jsonSeed).ToJsonString()).WithNoise(NoiseSamples.Options(seed, r, injections));
            var results = new List<string>();
            for (int i = 0; i < 15; i++)
            {
                results.Add(NoiseSamples.Canonical(await tool.InvokeAsync(NoiseSamples.Args())));
            }

            return (string.Join("\n", results), string.Join("\n", injections));
        }

        var first = await RunAsync();
        var second = await RunAsync();
        return first == second;
    }

    [Property(MaxTest = 200)]
    public async Task<Property> Injected_results_stay_valid_json_and_errors_are_documented(int seed, int jsonSeed)
    {
        var injections = new List<NoiseInjection>();
        var options = NoiseSamples.Options(seed, 1, injections);
        var tool = new FixedFunction(NoiseSamples.Json(jsonSeed).ToJsonString()).WithNoise(options);
        object? result = await tool.InvokeAsync(NoiseSamples.Args());
        var kind = Enum.Parse<ToolNoiseKind>(injections.Single().Kind);
        if (ErrorKinds.Contains(kind))
        {
            var error = ((JsonElement)result!).GetProperty("error");
            bool documented = error.GetProperty("status").GetInt32() is 401 or 403 or 408 or 429 or 500 or 503
                && error.GetProperty("code").GetString()!.Length > 0
                && error.GetProperty("message").GetString()!.Length > 0
                && error.GetProperty("retryable").GetBoolean();
            return documented.Label($"error JSON for {kind}");
        }

        bool valid = result is string text && JsonNode.Parse(text) is JsonObject or JsonArray;
        return valid.Label($"valid JSON string for {kind}: {result}");
    }

    [Property(MaxTest = 200)]
    public async Task<Property> Content_noise_keeps_the_shape_of_every_result_type(int seed, int jsonSeed, NonNegativeInt shape)
    {
        var injections = new List<NoiseInjection>();
        var options = NoiseSamples.Options(seed, 1, injections);
        options.KindWeights[ToolNoiseKind.Failure] = 0;
        options.KindWeights[ToolNoiseKind.Timeout] = 0;
        var json = NoiseSamples.Json(jsonSeed);
        object input = (shape.Get % 4) switch
        {
            0 => json.ToJsonString(),
            1 => JsonSerializer.SerializeToElement(json),
            2 => json,
            _ => new Receipt("A-" + jsonSeed.ToString(System.Globalization.CultureInfo.InvariantCulture), jsonSeed % 1000, ["x", "y"]),
        };
        object? result = await new FixedFunction(input).WithNoise(options).InvokeAsync(NoiseSamples.Args());
        bool latency = injections.Count == 1 && injections[0].Kind == nameof(ToolNoiseKind.Latency);
        bool sameShape = latency ? ReferenceEquals(result, input) : input switch
        {
            string => result is string text && JsonNode.Parse(text) is JsonObject,
            JsonNode => result is JsonObject,
            _ => result is JsonElement { ValueKind: JsonValueKind.Object },
        };
        return (sameShape && injections.Count == 1).Label($"{input.GetType().Name} -> {result?.GetType().Name}: {NoiseSamples.Canonical(result)}");
    }

    public sealed record Receipt(string OrderId, int Total, string[] Tags);

    [Property(MaxTest = 100)]
    public async Task<bool> A_failed_call_retried_enough_times_passes_through(int seed, NonNegativeInt maxFailures)
    {
        int max = maxFailures.Get % 6;
        var injections = new List<NoiseInjection>();
        var options = NoiseSamples.Options(seed, 1, injections);
        options.KindWeights.Clear();
        options.KindWeights[ToolNoiseKind.Failure] = 3;
        options.KindWeights[ToolNoiseKind.Timeout] = 1;
        options.MaxConsecutiveFailures = max;
        var inner = new FixedFunction("""{"status":"shipped"}""");
        var tool = inner.WithNoise(options);
        for (int attempt = 0; attempt <= max; attempt++)
        {
            if (NoiseSamples.Canonical(await tool.InvokeAsync(NoiseSamples.Args())) == """{"status":"shipped"}""")
            {
                return attempt == max && inner.Calls == 1;
            }
        }

        return false;
    }

    [Property(MaxTest = 50)]
    public async Task<bool> Without_a_bound_failures_still_are_not_sticky(int seed)
    {
        var injections = new List<NoiseInjection>();
        var options = NoiseSamples.Options(seed, 0.5, injections);
        options.KindWeights.Clear();
        options.KindWeights[ToolNoiseKind.Failure] = 1;
        options.MaxConsecutiveFailures = null;
        var tool = new FixedFunction("""{"ok":true}""").WithNoise(options);
        for (int attempt = 0; attempt < 64; attempt++)
        {
            if (NoiseSamples.Canonical(await tool.InvokeAsync(NoiseSamples.Args())) == """{"ok":true}""")
            {
                return true;
            }
        }

        return false; // 2^-64: a real failure of the property.
    }

    [Fact]
    public async Task Disabled_noise_never_injects_and_a_generator_rate_is_clamped()
    {
        var injections = new List<NoiseInjection>();
        var disabled = NoiseSamples.Options(1, 1, injections);
        disabled.Enabled = false;
        var tool = new FixedFunction("""{"a":1}""").WithNoise(disabled);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal("""{"a":1}""", NoiseSamples.Canonical(await tool.InvokeAsync(NoiseSamples.Args())));
        }

        Assert.Empty(injections);

        var generated = NoiseSamples.Options(1, 0, injections);
        generated.InjectionRateGenerator = _ => new ValueTask<double>(7.5); // Clamped to 1.
        generated.MaxConsecutiveFailures = null;
        var always = new FixedFunction("""{"a":1}""").WithNoise(generated);
        for (int i = 0; i < 20; i++)
        {
            await always.InvokeAsync(NoiseSamples.Args());
        }

        Assert.Equal(20, injections.Count);
    }

    [Fact]
    public void An_injection_rate_outside_zero_to_one_is_rejected()
    {
        var options = new ToolNoiseOptions { InjectionRate = 1.5 };
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new FixedFunction(null).WithNoise(options));
    }

    [Fact]
    public async Task A_cancelled_call_is_cancelled_not_noised()
    {
        var injections = new List<NoiseInjection>();
        var inner = new FixedFunction("x");
        var tool = inner.WithNoise(NoiseSamples.Options(3, 1, injections));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tool.InvokeAsync(NoiseSamples.Args(), cts.Token).AsTask());
        Assert.Empty(injections);
        Assert.Equal(0, inner.Calls);
    }

    [Fact]
    public async Task Inner_exceptions_propagate_unchanged()
    {
        var tool = Microsoft.Extensions.AI.AIFunctionFactory.Create(new Func<int>(() => throw new InvalidOperationException("boom")), "broken")
            .WithNoise(new ToolNoiseOptions { InjectionRate = 0 });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => tool.InvokeAsync(NoiseSamples.Args()).AsTask());
        Assert.Equal("boom", error.Message);
        Assert.Equal("broken", tool.Name);
    }

    [Theory]
    [InlineData(ToolNoiseKind.IncompleteResult)]
    [InlineData(ToolNoiseKind.MisleadingValue)]
    [InlineData(ToolNoiseKind.RedundantPayload)]
    [InlineData(ToolNoiseKind.SchemaDrift)]
    [InlineData(ToolNoiseKind.Latency)]
    public async Task Each_content_kind_changes_what_it_says_and_keeps_the_shape(ToolNoiseKind kind)
    {
        var injections = new List<NoiseInjection>();
        var options = NoiseSamples.Options(11, 1, injections);
        options.Latency = TimeSpan.FromMilliseconds(1);
        options.KindWeights.Clear();
        options.KindWeights[kind] = 1;
        var original = new JsonObject { ["order_id"] = "A-1042", ["total"] = 120, ["items"] = new JsonArray(new JsonObject { ["sku"] = "X1", ["qty"] = 2 }) };
        var tool = new FixedFunction(JsonSerializer.SerializeToElement(original)).WithNoise(options);

        object? result = await tool.InvokeAsync(NoiseSamples.Args());

        var element = Assert.IsType<JsonElement>(result);
        var injection = Assert.Single(injections);
        Assert.Equal(kind.ToString(), injection.Kind);
        Assert.Equal(NoiseSource.Tool, injection.Source);
        bool same = JsonNode.DeepEquals(JsonNode.Parse(element.GetRawText()), original);
        Assert.Equal(kind == ToolNoiseKind.Latency, same);
    }

    [Fact]
    public async Task Plain_text_results_stay_text_and_kinds_that_need_json_fall_back()
    {
        var injections = new List<NoiseInjection>();
        var options = NoiseSamples.Options(5, 1, injections);
        options.KindWeights.Clear();
        options.KindWeights[ToolNoiseKind.SchemaDrift] = 1;
        options.KindWeights[ToolNoiseKind.IncompleteResult] = 0.000001;
        var tool = new FixedFunction("Order A-1042 shipped with 3 items.").WithNoise(options);

        var text = Assert.IsType<string>(await tool.InvokeAsync(NoiseSamples.Args()));

        Assert.Equal(nameof(ToolNoiseKind.IncompleteResult), Assert.Single(injections).Kind);
        Assert.StartsWith(text, "Order A-1042 shipped with 3 items.", StringComparison.Ordinal);
        Assert.True(text.Length < "Order A-1042 shipped with 3 items.".Length);
    }

    [Fact]
    public async Task Timeouts_and_latency_wait_on_the_injected_time_provider()
    {
        var injections = new List<NoiseInjection>();
        var clock = new InstantTimeProvider();
        var options = NoiseSamples.Options(2, 1, injections);
        options.TimeProvider = clock;
        options.TimeoutDelay = TimeSpan.FromSeconds(30);
        options.Latency = TimeSpan.FromSeconds(2);
        options.KindWeights.Clear();
        options.KindWeights[ToolNoiseKind.Timeout] = 1;
        var inner = new FixedFunction("""{"a":1}""");
        var timeout = inner.WithNoise(options);

        var error = Assert.IsType<JsonElement>(await timeout.InvokeAsync(NoiseSamples.Args())).GetProperty("error");

        Assert.Equal(408, error.GetProperty("status").GetInt32());
        Assert.Equal("timeout", error.GetProperty("code").GetString());
        Assert.Equal(0, inner.Calls);
        options.KindWeights.Clear();
        options.KindWeights[ToolNoiseKind.Latency] = 1;
        Assert.Equal("""{"a":1}""", NoiseSamples.Canonical(await inner.WithNoise(options).InvokeAsync(NoiseSamples.Args())));
        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2)], clock.Delays);
        Assert.Equal([nameof(ToolNoiseKind.Timeout), nameof(ToolNoiseKind.Latency)], injections.Select(i => i.Kind));
    }

    /// <summary>A clock whose timers fire at once and remember their due times.</summary>
    private sealed class InstantTimeProvider : TimeProvider
    {
        public List<TimeSpan> Delays { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Delays)
            {
                Delays.Add(dueTime);
            }

            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return new NoTimer();
        }

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    [Theory]
    [InlineData("order_id", "orderId")]
    [InlineData("customerName", "customer_name")]
    [InlineData("status", "Status")]
    [InlineData("Price", "price")]
    [InlineData("42", "42_v2")]
    public void Schema_drift_renames_keys_predictably(string key, string drifted) =>
        Assert.Equal(drifted, ToolResultNoise.Drift(key));

    [Fact]
    public void Named_levels_bundle_more_kinds_and_higher_rates()
    {
        var none = ToolNoiseOptions.ForLevel(NoiseLevel.None);
        Assert.False(none.Enabled);
        double previousRate = 0;
        int previousKinds = 0;
        foreach (var level in new[] { NoiseLevel.Low, NoiseLevel.Medium, NoiseLevel.High })
        {
            var options = ToolNoiseOptions.ForLevel(level, 9);
            int kinds = options.KindWeights.Count(w => w.Value > 0);
            Assert.True(options.Enabled);
            Assert.True(options.InjectionRate > previousRate);
            Assert.True(kinds > previousKinds);
            (previousRate, previousKinds) = (options.InjectionRate, kinds);
        }

        Assert.Equal(Enum.GetValues<ToolNoiseKind>().Length, previousKinds);
    }
}
