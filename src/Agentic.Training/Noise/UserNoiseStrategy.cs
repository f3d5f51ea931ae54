using Microsoft.Extensions.AI;
using Polly;
using Polly.Simmy;

namespace Agentic.Training.Noise;

/// <summary>
/// The Polly chaos strategy behind <see cref="NoisyUserChatClient"/>: runs the simulated user, then (every turn) delivers
/// owed clarifications and keeps withheld values out, and (when Polly's decision says so) injects one kind of noise.
/// </summary>
internal sealed class UserNoiseStrategy : ChaosStrategy<ChatResponse>
{
    /// <summary>The conversation state of the current call.</summary>
    public static readonly ResiliencePropertyKey<UserConversationState> StateKey = new("Agentic.Noise.UserConversation");

    /// <summary>The agent's latest message, which may trigger clarifications.</summary>
    public static readonly ResiliencePropertyKey<string> AgentTextKey = new("Agentic.Noise.AgentText");

    private readonly UserNoiseOptions _options;
    private readonly UserTextNoise _noise;

    public UserNoiseStrategy(UserNoiseOptions options)
        : base(options)
    {
        _options = options;
        _noise = new UserTextNoise(options);
    }

    protected override async ValueTask<Outcome<ChatResponse>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<ChatResponse>>> callback, ResilienceContext context, TState state)
    {
        var outcome = await callback(context, state).ConfigureAwait(false);
        if (outcome.Exception is not null || outcome.Result is null)
        {
            return outcome;
        }

        var conversation = context.Properties.GetValue(StateKey, null!);
        string agentText = context.Properties.GetValue(AgentTextKey, string.Empty);
        bool inject = await ShouldInjectAsync(context).ConfigureAwait(false);

        ChatResponse response = outcome.Result;
        ChatMessage? message = response.Messages.LastOrDefault(m => !string.IsNullOrWhiteSpace(m.Text));
        string text = message?.Text ?? string.Empty;
        NoiseInjection? injection = null;
        lock (conversation.Gate)
        {
            int turn = conversation.Turns++;
            string appendix = _noise.Prepare(conversation, agentText, ref text);
            if (inject)
            {
                var applicable = _noise.Applicable(conversation, text);
                if (NoiseRandom.TryPickWeighted(_options.Randomizer, applicable, out UserNoiseKind kind))
                {
                    string detail = _noise.Apply(kind, conversation, ref text);
                    injection = new NoiseInjection(NoiseSource.User, kind.ToString(), conversation.Key, turn, detail);
                }
            }

            if (appendix.Length > 0)
            {
                text = (text.TrimEnd() + appendix).Trim();
            }
            _noise.Observe(conversation, text);
        }

        if (message is null)
        {
            if (text.Length > 0)
            {
                response.Messages.Add(new ChatMessage(ChatRole.Assistant, text));
            }
        }
        else if (message.Text != text)
        {
            message.Contents = [new TextContent(text), .. message.Contents.Where(c => c is not TextContent)];
        }

        if (injection is not null && _options.OnNoiseInjected is { } onInjected)
        {
            await onInjected(new NoiseInjectedArguments(injection, context.CancellationToken)).ConfigureAwait(false);
        }

        return outcome;
    }
}
