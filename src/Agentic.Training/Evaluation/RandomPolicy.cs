using Agentic.Core.ChatCompletion;
using Agentic.Core.Randomness;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Evaluation;

/// <summary>
/// A baseline policy that acts at random: each turn it calls a random offered tool with random string arguments, or
/// replies with a random short answer (including the suites' answer tags). It measures how much of a suite's success
/// is luck.
/// </summary>
public sealed class RandomPolicy(ulong seed) : ScriptedChatClient
{
    private static readonly string[] Words = ["yes", "no", "done", "42", "Paris", "lamp", "C10", "O123", "unknown", "red"];
    private readonly DeterministicRandom _random = new(seed);
    private int _calls;

    /// <inheritdoc />
    protected override string ModelId => "random";

    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
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
            return reply;
        }
    }

}
