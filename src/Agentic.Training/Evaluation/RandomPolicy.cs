using Agentic.Core.Randomness;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Evaluation;

/// <summary>
/// A baseline policy that acts at random: each turn it calls a random offered tool with random string arguments, or
/// replies with a random short answer (including the suites' answer tags). It measures how much of a suite's success
/// is luck.
/// </summary>
public sealed class RandomPolicy(ulong seed) : IChatClient
{
    private static readonly string[] Words = ["yes", "no", "done", "42", "Paris", "lamp", "C10", "O123", "unknown", "red"];
    private readonly DeterministicRandom _random = new(seed);
    private int _calls;

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        lock (_random)
        {
            var tools = options?.Tools?.OfType<AIFunction>().ToArray() ?? [];
            ChatMessage reply;
            if (tools.Length > 0 && _random.NextDouble() < 0.5)
            {
                var tool = tools[_random.Next(tools.Length)];
                var arguments = new Dictionary<string, object?>();
                if (tool.JsonSchema.TryGetProperty("properties", out var properties))
                {
                    foreach (var p in properties.EnumerateObject()) arguments[p.Name] = Words[_random.Next(Words.Length)];
                }
                reply = new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"r{_calls++}", tool.Name, arguments)]);
            }
            else
            {
                var word = Words[_random.Next(Words.Length)];
                reply = new ChatMessage(ChatRole.Assistant, _random.Next(3) switch
                {
                    0 => word,
                    1 => $"<answer>{word}</answer>",
                    _ => $"<search>{word}</search>",
                });
            }
            return Task.FromResult(new ChatResponse(reply) { ModelId = "random" });
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose() { }
}
