using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Polly;

namespace Agentic.Training.Noise;

/// <summary>
/// Wraps a simulated user (any <see cref="IChatClient"/>, scripted or an LLM) and makes its messages noisy: typos,
/// redundancy, self-correction, topic shift, goal and referential ambiguity, context omission and information dropped
/// across turns (see <see cref="UserNoiseKind"/>).
/// </summary>
/// <remarks>
/// <para>
/// The noise is applied to the last text message of each response. Conversations are told apart by
/// <see cref="ChatOptions.ConversationId"/> (no id: one shared conversation named <c>"user"</c>); each keeps its own
/// withheld slots, the slots already given and the clarifications owed. The agent's message is taken to be the last
/// message passed in, whatever its role (user simulators often flip roles).
/// </para>
/// <para>
/// <b>Solvable by design.</b> A withheld slot value is revealed ("My order id is A-1042.") in the first response after an
/// agent message that mentions the slot's name (the whole name, or all its words, ignoring case and punctuation);
/// ambiguity is resolved after any question; a self-correction corrects itself in the same message (a deferred correction
/// could let an agent act irreversibly on the wrong value first); typos never touch slot values.
/// </para>
/// <para>Streaming calls are answered whole (the noise needs the complete message) and then split into updates.</para>
/// </remarks>
public class NoisyUserChatClient : DelegatingChatClient
{
    private const string DefaultConversation = "user";

    private readonly ResiliencePipeline<ChatResponse> _pipeline;
    private readonly ConcurrentDictionary<string, UserConversationState> _conversations = new(StringComparer.Ordinal);

    /// <summary>Initializes a noisy view of the simulated user <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The simulated user.</param>
    /// <param name="options">The noise options; kind weights are read on every message, slots too.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid (for example an injection rate outside [0, 1]).</exception>
    public NoisyUserChatClient(IChatClient innerClient, UserNoiseOptions options)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _pipeline = new ResiliencePipelineBuilder<ChatResponse>()
            .AddStrategy(_ => new UserNoiseStrategy(options), options)
            .Build();
    }

    /// <summary>Gets the options this client was created with.</summary>
    public UserNoiseOptions Options { get; }

    /// <summary>Gets the slots currently withheld in a conversation (for tests, logs and evaluation).</summary>
    /// <param name="conversationId">The <see cref="ChatOptions.ConversationId"/>, or <see langword="null"/> for the default conversation.</param>
    /// <returns>The names of the withheld slots, in order.</returns>
    public IReadOnlyList<string> GetWithheldSlots(string? conversationId = null)
    {
        if (!_conversations.TryGetValue(conversationId ?? DefaultConversation, out var state))
        {
            return [];
        }

        lock (state.Gate)
        {
            return [.. state.Withheld.Order(StringComparer.OrdinalIgnoreCase)];
        }
    }

    /// <summary>Forgets everything remembered about a conversation (for example when an environment resets).</summary>
    /// <param name="conversationId">The <see cref="ChatOptions.ConversationId"/>, or <see langword="null"/> for the default conversation.</param>
    public void ResetConversation(string? conversationId = null) => _conversations.TryRemove(conversationId ?? DefaultConversation, out _);

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        string key = options?.ConversationId ?? DefaultConversation;
        var conversation = _conversations.GetOrAdd(key, static k => new UserConversationState(k));

        ResilienceContext context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(UserNoiseStrategy.StateKey, conversation);
            context.Properties.Set(UserNoiseStrategy.AgentTextKey, list.Count == 0 ? string.Empty : list[^1].Text ?? string.Empty);
            return await _pipeline.ExecuteAsync(
                static async (ctx, state) => await state.Self.InnerGetResponseAsync(state.Messages, state.Options, ctx.CancellationToken).ConfigureAwait(false),
                context,
                (Self: this, Messages: list, Options: options)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatResponse response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    private Task<ChatResponse> InnerGetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken) =>
        base.GetResponseAsync(messages, options, cancellationToken);
}

/// <summary>Builder extensions that add user noise to a simulated user.</summary>
public static class NoiseChatClientBuilderExtensions
{
    /// <summary>Adds a <see cref="NoisyUserChatClient"/> to the pipeline of a simulated user.</summary>
    /// <param name="builder">The builder of the simulated user's client.</param>
    /// <param name="options">The noise options.</param>
    /// <param name="configure">An optional callback that can configure the client.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    public static ChatClientBuilder UseUserNoise(this ChatClientBuilder builder, UserNoiseOptions options, Action<NoisyUserChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.Use(inner =>
        {
            var client = new NoisyUserChatClient(inner, options);
            configure?.Invoke(client);
            return client;
        });
    }
}
