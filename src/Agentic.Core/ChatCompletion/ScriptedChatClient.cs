using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Agentic.Core.ChatCompletion;

/// <summary>
/// Base class for rule-based chat clients: scripted experts, scripted simulated users, baseline policies. A subclass
/// answers a conversation with one message in <see cref="Respond"/>; this class supplies the rest of
/// <see cref="IChatClient"/> (streaming folds the single reply, <see cref="GetService"/> hands out the instance).
/// </summary>
public abstract class ScriptedChatClient : IChatClient
{
    /// <summary>The next message for <paramref name="messages"/> (text, tool calls, or both).</summary>
    protected abstract ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options);

    /// <summary>The model id reported in responses (the type name by default).</summary>
    protected virtual string ModelId => GetType().Name;

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new ChatResponse(Respond([.. messages], options)) { ModelId = ModelId });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <inheritdoc />
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources; scripted clients usually hold none.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
